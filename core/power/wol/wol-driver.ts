/**
 * Wake-on-LAN as a PowerDriver: it can only power a machine on. Everything else is refused
 * with an error that says so; status is 'unknown' because WoL has no way to ask.
 */
import dgram from 'node:dgram';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { PowerError, type PowerDriver, type PowerState } from '../driver.ts';
import { interfaceBroadcast } from './broadcast.ts';
import { magicPacket, parseSecureOnPassword } from './magic-packet.ts';

export interface WolOptions {
  /** The target NIC's MAC ("52:54:00:12:34:56"). */
  mac: string;
  /** Interface to wake through ("eth1"); its subnet-directed broadcast is the destination. */
  interface?: string;
  /** Explicit destination instead of `interface` (a directed broadcast or a unicast address). */
  address?: string;
  /** UDP port; default 9 (discard). 7 and 0 are also seen in the field; 0 is not allowed here. */
  port?: number;
  /** SecureOn password, "aa:bb:cc:dd:ee:ff" (6 bytes) or "a.b.c.d" (4 bytes); default none. */
  password?: string;
  /** Copies sent per on(), since UDP may drop one; default 3; minimum 1. */
  copies?: number;
  /** Gap between copies in ms; default 100; 0 sends them back to back. */
  gapMs?: number;
  /** Interface table lookup; default os.networkInterfaces. */
  lookup?: () => NodeJS.Dict<os.NetworkInterfaceInfo[]>;
  /** Socket factory; default an IPv4 UDP socket. */
  createSocket?: () => dgram.Socket;
}

const wolUnsupported = (what: string) =>
  new PowerError('wol', 'DF_ERR_UNAVAILABLE', `${what} is unsupported by Wake-on-LAN: it can only power a machine on`);

export class WolDriver implements PowerDriver {
  readonly protocol = 'wol' as const;
  private readonly opts: WolOptions;
  private readonly packet: Uint8Array;

  constructor(opts: WolOptions) {
    if (!opts.interface && !opts.address) {
      throw new PowerError('wol', 'DF_ERR_INVALID', 'Wake-on-LAN needs an interface (or an explicit destination address)');
    }
    if (opts.port !== undefined && !(Number.isInteger(opts.port) && opts.port > 0 && opts.port < 65536)) {
      throw new PowerError('wol', 'DF_ERR_INVALID', `Wake-on-LAN port ${opts.port} is not a UDP port (1-65535)`);
    }
    this.opts = opts;
    this.packet = magicPacket(opts.mac, opts.password ? parseSecureOnPassword(opts.password) : undefined);
  }

  /** Where on() sends: source address (when known) and destination. */
  destination(): { source?: string; address: string; port: number } {
    const port = this.opts.port ?? 9;
    if (this.opts.address) return { address: this.opts.address, port };
    const found = interfaceBroadcast((this.opts.lookup ?? os.networkInterfaces)(), this.opts.interface!);
    return { source: found.address, address: found.broadcast, port };
  }

  /** WoL cannot observe power state. */
  async status(): Promise<PowerState> {
    return 'unknown';
  }

  async on(): Promise<void> {
    const dest = this.destination();
    const socket = (this.opts.createSocket ?? (() => dgram.createSocket('udp4')))();
    try {
      // Bound to the interface's own address so the packet leaves with that source.
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: dest.source, port: 0 }, () => resolve());
      });
      socket.setBroadcast(true);
      const copies = Math.max(1, this.opts.copies ?? 3);
      for (let i = 0; i < copies; i++) {
        if (i > 0 && (this.opts.gapMs ?? 100) > 0) await sleep(this.opts.gapMs ?? 100);
        await new Promise<void>((resolve, reject) =>
          socket.send(this.packet, dest.port, dest.address, (err) => (err ? reject(err) : resolve())),
        );
      }
    } catch (err) {
      throw new PowerError('wol', 'DF_ERR_UNAVAILABLE', `Wake-on-LAN to ${dest.address}:${dest.port} failed: ${(err as Error).message}`);
    } finally {
      socket.close();
    }
  }

  async off(): Promise<void> {
    throw wolUnsupported('power off');
  }
  async softOff(): Promise<void> {
    throw wolUnsupported('soft power off');
  }
  async cycle(): Promise<void> {
    throw wolUnsupported('power cycle');
  }
  async reset(): Promise<void> {
    throw wolUnsupported('reset');
  }
  async setNextBoot(): Promise<void> {
    throw wolUnsupported('setting the next boot device');
  }
  async close(): Promise<void> {}
}
