import { describe, expect, it } from 'vitest';
import type { ClientClass } from '../dhcp/classify.ts';
import { BOOTREQUEST, emptyPacket } from '../dhcp/codec.ts';
import { MessageType } from '../dhcp/options/message.ts';
import { handleProxyDiscover } from '../dhcp/proxy-mode.ts';
import { parseMac, type Mac } from '../shared/mac.ts';
import { bootfileFor, bootPolicy, firmwareFrom } from './bootfile.ts';
import { bootUrls } from './urls.ts';

const urls = bootUrls('http://10.0.0.1:8080');
const MAC = parseMac('52:54:00:00:00:01');
const c = (over: Partial<ClientClass>): ClientClass => ({ arch: 'bios', isPxe: true, isHttpClient: false, isIpxe: false, ...over });

describe('bootfileFor', () => {
  it('gives BIOS undionly.kpxe, UEFI x64 snponly.efi, ARM64 ipxe-arm64.efi over TFTP', () => {
    expect(bootfileFor(c({}), urls)).toEqual({ kind: 'tftp', bootfile: 'undionly.kpxe' });
    expect(bootfileFor(c({ arch: 'uefi-x64' }), urls)).toEqual({ kind: 'tftp', bootfile: 'snponly.efi' });
    expect(bootfileFor(c({ arch: 'uefi-arm64' }), urls)).toEqual({ kind: 'tftp', bootfile: 'ipxe-arm64.efi' });
  });
  it('gives HTTP boot clients an http URL under /boot/files/ and the HTTPClient vendor class to echo', () => {
    expect(bootfileFor(c({ arch: 'http-x64', isPxe: false, isHttpClient: true }), urls)).toEqual({
      kind: 'http',
      url: 'http://10.0.0.1:8080/boot/files/snponly.efi',
      vendorClass: 'HTTPClient',
    });
  });
  it('gives arm64 HTTP boot clients (arch 19) the arm64 iPXE over HTTP', () => {
    expect(bootfileFor(c({ arch: 'http-arm64', isPxe: false, isHttpClient: true }), urls)).toEqual({
      kind: 'http',
      url: 'http://10.0.0.1:8080/boot/files/ipxe-arm64.efi',
      vendorClass: 'HTTPClient',
    });
  });
  it('puts an HTTP boot answer on the wire as a URL with vendor class HTTPClient, no next server', async () => {
    const policy = bootPolicy(() => urls, () => '10.0.0.1');
    expect(await policy(c({ arch: 'http-x64', isPxe: false, isHttpClient: true }), MAC, {} as never)).toEqual({
      bootfile: 'http://10.0.0.1:8080/boot/files/snponly.efi',
      vendorClass: 'HTTPClient',
    });
  });
  it('gives iPXE the script URL, whatever its architecture, so it does not chainload itself forever', () => {
    expect(bootfileFor(c({ arch: 'uefi-x64', isIpxe: true }), urls)).toEqual({ kind: 'ipxe-script', url: 'http://10.0.0.1:8080/boot/ipxe' });
  });
  it('gives nothing to a plain DHCP client or an architecture without a build', () => {
    expect(bootfileFor(c({ isPxe: false, arch: 'unknown' }), urls).kind).toBe('none');
    expect(bootfileFor(c({ arch: 'uefi-ia32' }), urls)).toEqual({ kind: 'none', reason: 'no iPXE build for architecture uefi-ia32' });
  });
});

describe('bootPolicy (the DHCP server callback)', () => {
  it('reads the URLs at each request, so a new advertised address reaches the next client', async () => {
    let base = 'http://10.0.0.1:8080';
    const policy = bootPolicy(() => bootUrls(base), () => '10.0.0.1');
    const ipxe = c({ isIpxe: true });
    expect(await policy(ipxe, MAC, {} as never)).toEqual({ bootfile: 'http://10.0.0.1:8080/boot/ipxe' });
    base = 'http://10.77.0.1:8080';
    expect(await policy(ipxe, MAC, {} as never)).toEqual({ bootfile: 'http://10.77.0.1:8080/boot/ipxe' });
    expect(await policy(c({}), MAC, {} as never)).toEqual({ bootfile: 'undionly.kpxe', nextServer: '10.0.0.1' });
    expect(await policy(c({ isPxe: false, arch: 'unknown' }), MAC, {} as never)).toBeUndefined();
  });
});

describe('firmwareFrom', () => {
  it('maps iPXE ${platform}: efi is UEFI, pcbios and a missing value are BIOS', () => {
    expect(firmwareFrom('efi')).toBe('uefi');
    expect(firmwareFrom('pcbios')).toBe('bios');
    expect(firmwareFrom(undefined)).toBe('bios');
  });
});

describe('the Secure Boot chain (uefiChain shim)', () => {
  it('gives UEFI x64 PXE clients shimx64.efi and arm64 ones (option 93 = 11) shimaa64.efi over TFTP; BIOS keeps iPXE', () => {
    expect(bootfileFor(c({ arch: 'uefi-x64' }), urls, 'shim')).toEqual({ kind: 'tftp', bootfile: 'shimx64.efi' });
    expect(bootfileFor(c({}), urls, 'shim')).toEqual({ kind: 'tftp', bootfile: 'undionly.kpxe' });
    expect(bootfileFor(c({ arch: 'uefi-arm64' }), urls, 'shim')).toEqual({ kind: 'tftp', bootfile: 'shimaa64.efi' });
    expect(bootfileFor(c({ arch: 'uefi-arm64' }), urls, 'ipxe')).toEqual({ kind: 'tftp', bootfile: 'ipxe-arm64.efi' });
    // A running iPXE is past the firmware's signature check: it keeps getting its script.
    expect(bootfileFor(c({ arch: 'uefi-x64', isIpxe: true }), urls, 'shim').kind).toBe('ipxe-script');
  });
  it('the DHCP callback follows the setting at each request', async () => {
    let chain: 'ipxe' | 'shim' = 'ipxe';
    const policy = bootPolicy(() => urls, () => '10.0.0.1', () => chain);
    const uefi = c({ arch: 'uefi-x64' });
    expect(await policy(uefi, MAC, {} as never)).toEqual({ bootfile: 'snponly.efi', nextServer: '10.0.0.1' });
    chain = 'shim';
    expect(await policy(uefi, MAC, {} as never)).toEqual({ bootfile: 'shimx64.efi', nextServer: '10.0.0.1' });
  });
});

describe('UEFI HTTP boot with the Secure Boot chain (issue 16 point 2)', () => {
  const disk = 'http://10.0.0.1:8080/boot/secureboot/52-54-00-00-00-01/boot.img';
  const httpX64 = c({ arch: 'http-x64', isPxe: false, isHttpClient: true });

  it('gives an HTTPClient x64 the RAM disk of the signed chain for its MAC, arm64 (arch 19) the arm64 one; the iPXE chain keeps iPXE', () => {
    const httpArm64 = c({ arch: 'http-arm64', isPxe: false, isHttpClient: true });
    expect(bootfileFor(httpX64, urls, 'shim', MAC)).toEqual({ kind: 'http', url: disk, vendorClass: 'HTTPClient' });
    expect(bootfileFor(httpX64, urls, 'ipxe', MAC)).toEqual({ kind: 'http', url: 'http://10.0.0.1:8080/boot/files/snponly.efi', vendorClass: 'HTTPClient' });
    expect(bootfileFor(httpArm64, urls, 'shim', MAC)).toEqual({ kind: 'http', url: `${disk}?arch=arm64`, vendorClass: 'HTTPClient' });
    expect(bootfileFor(httpArm64, urls, 'ipxe', MAC)).toMatchObject({ url: 'http://10.0.0.1:8080/boot/files/ipxe-arm64.efi' });
  });

  it('the DHCP answer carries the URL and vendor class HTTPClient, no next server, in full and proxy mode', async () => {
    const policy = bootPolicy(() => urls, () => '10.0.0.1', () => 'shim');
    expect(await policy(httpX64, MAC, {} as never)).toEqual({ bootfile: disk, vendorClass: 'HTTPClient' });
    const discover = emptyPacket(BOOTREQUEST);
    discover.chaddr.set([0x52, 0x54, 0, 0, 0, 0x01]);
    discover.options = { messageType: MessageType.DISCOVER, vendorClass: 'HTTPClient:Arch:00016:UNDI:003001', clientArch: [16] };
    const ctx = { serverIp: '10.0.0.1', menuLabel: 'Dragonfly', bootPolicy: (cl: ClientClass, mac: Mac) => policy(cl, mac, discover) };
    const offer = (await handleProxyDiscover(discover, ctx)).reply!;
    expect(offer.options).toMatchObject({ messageType: MessageType.OFFER, bootfileName: disk, vendorClass: 'HTTPClient' });
  });
});

