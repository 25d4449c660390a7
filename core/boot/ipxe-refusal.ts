/**
 * A UEFI machine known to have Secure Boot off gets the unsigned iPXE (core/app/secure-boot.ts).
 * If Secure Boot has been turned on since, its firmware refuses that file and moves on to its
 * next boot option; nothing reaches us but the firmware asking DHCP again. This notices it:
 * the firmware was handed snponly.efi (or ipxe-arm64.efi) and nothing iPXE does (its own DHCP, its autoexec or
 * boot script) followed, yet the firmware asks again. The chain choice then treats the
 * machine as unknown (signed chain), until a loaded chain is heard from again.
 */
import type { DhcpEvent } from '../dhcp/events.ts';
import { isUnsignedUefiIpxe } from './bootfile.ts';

/** Machines remembered at most; the oldest is forgotten first (as the timeline's addresses). */
const MAX_MACHINES = 10_000;

interface Heard {
  /** Sequence number of the last DHCPACK that handed the firmware snponly.efi. */
  handedIpxe: number;
  /** Sequence number of the last sign that a loaded iPXE (or GRUB) ran. */
  ran: number;
}

export class IpxeRefusals {
  private readonly byMac = new Map<string, Heard>();
  private seq = 0;

  /** Every DHCP event: an ACK to the firmware with snponly.efi, or any ACK to iPXE itself. */
  dhcp(e: DhcpEvent): void {
    if (e.type !== 'ack') return;
    if (e.ipxe) this.ran(e.mac);
    else if (e.bootfile && isUnsignedUefiIpxe(e.bootfile)) this.note(e.mac, 'handedIpxe');
  }

  /** A boot script or configuration was fetched for this MAC: what we handed out is running. */
  ran(mac: string): void {
    this.note(mac, 'ran');
  }

  /** snponly.efi was handed to this machine's firmware and nothing of it was heard since. */
  refused(mac: string): boolean {
    const h = this.byMac.get(mac.toLowerCase());
    return h !== undefined && h.handedIpxe > h.ran;
  }

  private note(mac: string, what: keyof Heard): void {
    const key = mac.toLowerCase();
    const h = this.byMac.get(key) ?? { handedIpxe: 0, ran: 0 };
    h[what] = ++this.seq;
    this.byMac.delete(key);
    this.byMac.set(key, h);
    if (this.byMac.size > MAX_MACHINES) this.byMac.delete(this.byMac.keys().next().value!);
  }
}
