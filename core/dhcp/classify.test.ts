import { describe, expect, it } from 'vitest';
import { classifyClient, bootfileFor, type ClientClass } from './classify.ts';
import { BOOTREQUEST, emptyPacket, type DhcpOptions } from './codec.ts';

const pkt = (options: DhcpOptions) => ({ ...emptyPacket(BOOTREQUEST), options });
const urls = { ipxeScriptUrl: 'http://10.0.0.1:8080/boot/ipxe?mac=${net0/mac}', httpBootBase: 'http://10.0.0.1:8080/ipxe/' };

describe('classifyClient', () => {
  it('sees a BIOS PXE ROM', () => {
    expect(classifyClient(pkt({ vendorClass: 'PXEClient:Arch:00000:UNDI:002001', clientArch: [0] }))).toEqual({ arch: 'bios', archCode: 0, isPxe: true, isHttpClient: false, isIpxe: false });
  });
  it('maps arch 7 and 9 to uefi-x64 and 11 to uefi-arm64', () => {
    expect(classifyClient(pkt({ vendorClass: 'PXEClient', clientArch: [7] })).arch).toBe('uefi-x64');
    expect(classifyClient(pkt({ vendorClass: 'PXEClient', clientArch: [9] })).arch).toBe('uefi-x64');
    expect(classifyClient(pkt({ vendorClass: 'PXEClient', clientArch: [11] })).arch).toBe('uefi-arm64');
  });
  it('reads the arch from the vendor class when option 93 is missing', () => {
    expect(classifyClient(pkt({ vendorClass: 'PXEClient:Arch:00007:UNDI:003016' })).arch).toBe('uefi-x64');
  });
  it('sees UEFI HTTP boot', () => {
    expect(classifyClient(pkt({ vendorClass: 'HTTPClient:Arch:00016:UNDI:003001', clientArch: [16] }))).toMatchObject({ arch: 'http-x64', isHttpClient: true, isPxe: false });
  });
  it('sees iPXE by plain user class, by RFC 3004 user class, and by option 175', () => {
    expect(classifyClient(pkt({ userClass: { format: 'plain', text: 'iPXE' } })).isIpxe).toBe(true);
    expect(classifyClient(pkt({ userClass: { format: 'rfc3004', classes: ['iPXE'] } })).isIpxe).toBe(true);
    expect(classifyClient(pkt({ ipxe: { subOptions: [], ended: true } })).isIpxe).toBe(true);
    expect(classifyClient(pkt({ hostName: 'laptop' }))).toMatchObject({ isIpxe: false, isPxe: false, arch: 'unknown' });
  });
});

describe('bootfileFor', () => {
  const c = (over: Partial<ClientClass>): ClientClass => ({ arch: 'bios', isPxe: true, isHttpClient: false, isIpxe: false, ...over });
  it('gives BIOS undionly.kpxe, UEFI x64 snponly.efi, ARM64 ipxe-arm64.efi over TFTP', () => {
    expect(bootfileFor(c({}), urls)).toEqual({ kind: 'tftp', bootfile: 'undionly.kpxe' });
    expect(bootfileFor(c({ arch: 'uefi-x64' }), urls)).toEqual({ kind: 'tftp', bootfile: 'snponly.efi' });
    expect(bootfileFor(c({ arch: 'uefi-arm64' }), urls)).toEqual({ kind: 'tftp', bootfile: 'ipxe-arm64.efi' });
  });
  it('gives HTTP boot clients an http URL and the HTTPClient vendor class to echo', () => {
    expect(bootfileFor(c({ arch: 'http-x64', isPxe: false, isHttpClient: true }), urls)).toEqual({ kind: 'http', url: 'http://10.0.0.1:8080/ipxe/snponly.efi', vendorClass: 'HTTPClient' });
  });
  it('gives iPXE the script URL, whatever its architecture, so it does not chainload itself forever', () => {
    expect(bootfileFor(c({ arch: 'uefi-x64', isIpxe: true }), urls)).toEqual({ kind: 'ipxe-script', url: urls.ipxeScriptUrl });
  });
  it('gives nothing to a plain DHCP client or an architecture without a build', () => {
    expect(bootfileFor(c({ isPxe: false, arch: 'unknown' }), urls).kind).toBe('none');
    expect(bootfileFor(c({ arch: 'uefi-ia32' }), urls)).toEqual({ kind: 'none', reason: 'no iPXE build for architecture uefi-ia32' });
  });
});
