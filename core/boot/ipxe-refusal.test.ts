import { describe, expect, it } from 'vitest';
import type { DhcpEvent } from '../dhcp/events.ts';
import { IpxeRefusals } from './ipxe-refusal.ts';

const MAC = '52:54:00:5b:00:03';
const ack = (bootfile: string, ipxe = false): DhcpEvent => ({ type: 'ack', mode: 'full', mac: MAC, bootfile, ...(ipxe ? { ipxe } : {}) });

describe('IpxeRefusals', () => {
  it('a machine never handed snponly.efi is not refused', () => {
    expect(new IpxeRefusals().refused(MAC)).toBe(false);
  });

  it('snponly.efi over TFTP or as an HTTP boot URL, nothing after it: refused; iPXE DHCP or a script after it: not', () => {
    for (const file of ['snponly.efi', 'http://10.0.0.1:8080/boot/files/snponly.efi', 'ipxe-arm64.efi']) {
      const r = new IpxeRefusals();
      r.dhcp(ack(file));
      expect(r.refused(MAC.toUpperCase())).toBe(true);
      r.dhcp(ack('http://10.0.0.1:8080/boot/ipxe', true));
      expect(r.refused(MAC)).toBe(false);
      r.dhcp(ack(file));
      r.ran(MAC); // autoexec.ipxe or a GRUB configuration fetched
      expect(r.refused(MAC)).toBe(false);
    }
  });

  it('only ACKs of an unsigned UEFI iPXE (x64, arm64) count: BIOS iPXE, shim and offers do not', () => {
    const r = new IpxeRefusals();
    r.dhcp(ack('undionly.kpxe'));
    r.dhcp(ack('shimx64.efi'));
    r.dhcp(ack('shimaa64.efi'));
    r.dhcp({ ...ack('snponly.efi'), type: 'offer' });
    r.dhcp(ack('not-snponly.efi'));
    expect(r.refused(MAC)).toBe(false);
  });
});
