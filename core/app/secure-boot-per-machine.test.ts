import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bootPolicy } from '../boot/bootfile.ts';
import { bootUrls } from '../boot/urls.ts';
import type { ClientClass } from '../dhcp/classify.ts';
import { parseMac } from '../shared/mac.ts';
import { createHarness, sampleFacts, type Harness } from '../testing/api-harness.ts';
import type { SecureBootMode } from './config.ts';
import type { AnsweringDhcpMode } from '../shared/dhcp-mode.ts';
import { uefiChainByMac } from './secure-boot.ts';

// What the DHCP server answers a UEFI x64 PXE ROM (option 93 = 7), per machine, as the control
// plane wires it: the registrar's facts -> the hardware index -> uefiChainByMac -> bootPolicy.
const uefiPxe: ClientClass = { arch: 'uefi-x64', archCode: 7, isPxe: true, isHttpClient: false, isIpxe: false };
const uefiHttp: ClientClass = { arch: 'http-x64', archCode: 16, isPxe: false, isHttpClient: true, isIpxe: false };
const MAC = parseMac('52:54:00:5b:00:01');
const uefiFacts = (secureBoot: boolean | undefined) => sampleFacts([MAC], { firmware: 'uefi', ...(secureBoot === undefined ? {} : { secureBoot }) });

describe('which chain a UEFI x64 machine is given, by what its agent reported', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => h.close());
  const bootfileOf = async (mode: SecureBootMode | undefined, dhcp: AnsweringDhcpMode = 'full', client = uefiPxe) => {
    const chain = uefiChainByMac(mode, h.index);
    return (await bootPolicy(() => bootUrls('http://10.0.0.1:8080'), undefined, (mac, viaHttp) => chain(mac, dhcp, viaHttp))(client, MAC, {} as never))?.bootfile;
  };

  it('default: an unknown machine gets shim; after it reports Secure Boot off, iPXE; on again, shim', async () => {
    expect(await bootfileOf(undefined)).toBe('shimx64.efi');
    await h.registrar.register(MAC, uefiFacts(false));
    expect(await bootfileOf(undefined)).toBe('snponly.efi');
    await h.registrar.register(MAC, uefiFacts(true)); // Secure Boot turned on, booted through shim
    expect(await bootfileOf('auto')).toBe('shimx64.efi');
  });

  it('a registered machine whose agent could not read the fact gets shim (it may enforce Secure Boot)', async () => {
    await h.registrar.register(MAC, uefiFacts(undefined));
    expect(h.index.secureBootByMac(MAC)).toBeUndefined();
    expect(await bootfileOf('auto')).toBe('shimx64.efi');
  });

  it('forgetting a machine known as off makes it unknown again: shim, so Secure Boot turned on later still boots', async () => {
    const hw = await h.registrar.register(MAC, uefiFacts(false));
    expect(await bootfileOf('auto')).toBe('snponly.efi');
    const del = await h.app.inject({ method: 'DELETE', url: `/api/v1/hardware/${hw.metadata.name}`, headers: h.headers });
    expect(del.statusCode).toBe(204);
    await vi.waitFor(async () => expect(await bootfileOf('auto')).toBe('shimx64.efi'), { timeout: 10_000, interval: 50 });
  });

  it('behind proxyDHCP auto keeps iPXE (GRUB cannot find us there); on still sends shim', async () => {
    expect(await bootfileOf('auto', 'proxy')).toBe('snponly.efi');
    await h.registrar.register(MAC, uefiFacts(true));
    expect(await bootfileOf('auto', 'proxy')).toBe('snponly.efi');
    expect(await bootfileOf('on', 'proxy')).toBe('shimx64.efi');
  });

  it('a UEFI HTTP boot client gets the signed RAM disk behind proxyDHCP too (its GRUB reads only the disk)', async () => {
    expect(await bootfileOf('auto', 'proxy', uefiHttp)).toBe('http://10.0.0.1:8080/boot/secureboot/52-54-00-5b-00-01/boot.img');
    await h.registrar.register(MAC, uefiFacts(false));
    expect(await bootfileOf('auto', 'proxy', uefiHttp)).toBe('http://10.0.0.1:8080/boot/files/snponly.efi');
  });

  it('on and off override the fact', async () => {
    await h.registrar.register(MAC, uefiFacts(false));
    expect(await bootfileOf('on')).toBe('shimx64.efi');
    await h.registrar.register(MAC, uefiFacts(true));
    expect(await bootfileOf('off')).toBe('snponly.efi');
  });
});

// The same decision for an arm64 PXE client (option 93 = 11): its own signed shim, or its own iPXE.
describe('which chain a UEFI arm64 machine is given, by what its agent reported', () => {
  const arm64Pxe: ClientClass = { arch: 'uefi-arm64', archCode: 11, isPxe: true, isHttpClient: false, isIpxe: false };
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => h.close());
  const bootfileOf = async (mode: SecureBootMode | undefined, dhcp: AnsweringDhcpMode = 'full') => {
    const chain = uefiChainByMac(mode, h.index);
    return (await bootPolicy(() => bootUrls('http://10.0.0.1:8080'), undefined, (mac, viaHttp) => chain(mac, dhcp, viaHttp))(arm64Pxe, MAC, {} as never))?.bootfile;
  };

  it('default: unknown -> shimaa64.efi; reported off -> ipxe-arm64.efi; on -> shimaa64.efi', async () => {
    expect(await bootfileOf(undefined)).toBe('shimaa64.efi');
    await h.registrar.register(MAC, uefiFacts(false));
    expect(await bootfileOf('auto')).toBe('ipxe-arm64.efi');
    await h.registrar.register(MAC, uefiFacts(true));
    expect(await bootfileOf('auto')).toBe('shimaa64.efi');
  });

  it('off always iPXE, on always shim; behind proxyDHCP auto keeps iPXE', async () => {
    expect(await bootfileOf('off')).toBe('ipxe-arm64.efi');
    expect(await bootfileOf('on')).toBe('shimaa64.efi');
    expect(await bootfileOf('auto', 'proxy')).toBe('ipxe-arm64.efi');
  });
});
