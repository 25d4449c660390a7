import { describe, expect, it } from 'vitest';
import { classifyClient } from './classify.ts';
import { BOOTREQUEST, emptyPacket, type DhcpOptions } from './codec.ts';

const pkt = (options: DhcpOptions) => ({ ...emptyPacket(BOOTREQUEST), options });

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
  it('sees arm64 UEFI HTTP boot (19), from option 93 or from the vendor class alone', () => {
    expect(classifyClient(pkt({ vendorClass: 'HTTPClient:Arch:00019:UNDI:003001', clientArch: [19] }))).toMatchObject({ arch: 'http-arm64', archCode: 19, isHttpClient: true });
    expect(classifyClient(pkt({ vendorClass: 'HTTPClient:Arch:00019:UNDI:003001' }))).toMatchObject({ arch: 'http-arm64', isHttpClient: true });
  });
  it('sees iPXE by plain user class, by RFC 3004 user class, and by option 175', () => {
    expect(classifyClient(pkt({ userClass: { format: 'plain', text: 'iPXE' } })).isIpxe).toBe(true);
    expect(classifyClient(pkt({ userClass: { format: 'rfc3004', classes: ['iPXE'] } })).isIpxe).toBe(true);
    expect(classifyClient(pkt({ ipxe: { subOptions: [], ended: true } })).isIpxe).toBe(true);
    expect(classifyClient(pkt({ hostName: 'laptop' }))).toMatchObject({ isIpxe: false, isPxe: false, arch: 'unknown' });
  });
});
