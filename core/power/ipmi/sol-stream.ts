/**
 * The character stream of one activated SOL payload (IPMI v2.0 sections 15.9-15.10): one
 * outbound packet in flight at a time, numbered 1-15; the BMC acknowledges it with the
 * count of characters it accepted (the rest go out again in the next packet) or NACKs it
 * (sent again after `retryMs`); silence is answered by resending the same packet, at most
 * `retries` times. Inbound packets are acknowledged one by one; a resent packet (same
 * sequence number, our acknowledgement was lost) is acknowledged again but not delivered
 * twice. No socket here: packets leave through `send`, arrive through `receive`.
 */
import { concatBytes, isDecodeError } from './wire.ts';
import { decodeSolPacket, encodeSolPacket, nextSolSequence, SolOperation, SolStatus, type SolPacket } from './sol-packet.ts';

export interface SolStreamOptions {
  /** Largest SOL payload the BMC accepts (Activate Payload's inbound size), bytes incl. the 4-byte header. */
  maxPayload: number;
  /** Wait for an acknowledgement before resending, ms (default 500). */
  retryMs?: number;
  /** Resends of one packet before the BMC counts as gone (default 7). */
  retries?: number;
}

export interface SolStreamHandlers {
  send(plain: Uint8Array): void;
  /** Characters from the system's serial port, in order, each once. */
  onData(bytes: Uint8Array): void;
  /** The stream ended: the BMC stopped acknowledging, or said it is deactivating. */
  onEnd(reason: 'bmc-silent' | 'bmc-deactivated'): void;
}

interface InFlight {
  sequence: number;
  data: Uint8Array;
  flags: number;
  attempts: number;
}

export class SolStream {
  private pending: Uint8Array = new Uint8Array(0);
  /** Operation flags for a packet due even without characters (a break, the opening packet). */
  private control: number | undefined;
  private inFlight: InFlight | undefined;
  private lastSent = 0;
  private lastReceived = 0;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  /** Packets dropped as undecodable or unexpected (a serve loop never dies on bad input). */
  dropped = 0;

  constructor(private readonly opts: SolStreamOptions, private readonly h: SolStreamHandlers) {}

  write(bytes: Uint8Array): void {
    if (this.ended || bytes.length === 0) return;
    this.pending = concatBytes(this.pending, bytes);
    this.pump();
  }

  /** Asks the BMC to send a serial break to the system (operation bit 4). */
  sendBreak(): void {
    if (this.ended) return;
    this.control = (this.control ?? 0) | SolOperation.generateBreak;
    this.pump();
  }

  /**
   * Sends an empty packet first. A BMC may keep the last sequence number of the previous
   * activation (ipmi_sim does) and take our first packet for a resend of its last one,
   * dropping the characters; an empty packet is harmless either way, and the next number differs.
   */
  start(): void {
    this.control ??= 0;
    this.pump();
  }

  receive(plain: Uint8Array): void {
    if (this.ended) return;
    const p = decodeSolPacket(plain);
    if (isDecodeError(p)) {
      this.dropped++;
      return;
    }
    if (p.ackSequence !== 0) this.acknowledged(p);
    if (p.sequence !== 0) this.delivered(p);
    if (p.flags & SolStatus.deactivating) this.end('bmc-deactivated');
  }

  stop(): void {
    this.ended = true;
    clearTimeout(this.timer);
  }

  /** Characters not yet acknowledged by the BMC (in flight or waiting). */
  get unacknowledged(): number {
    return this.pending.length + (this.inFlight?.data.length ?? 0);
  }

  private get chunk(): number {
    return Math.max(1, this.opts.maxPayload - 4);
  }

  private pump(): void {
    if (this.inFlight || this.ended || (this.pending.length === 0 && this.control === undefined)) return;
    const data = this.pending.subarray(0, this.chunk);
    this.pending = this.pending.subarray(data.length);
    const flags = this.control ?? 0;
    this.control = undefined;
    this.lastSent = nextSolSequence(this.lastSent);
    this.inFlight = { sequence: this.lastSent, data, flags, attempts: 0 };
    this.transmit();
  }

  private transmit(): void {
    const f = this.inFlight!;
    f.attempts++;
    this.h.send(encodeSolPacket({ sequence: f.sequence, ackSequence: 0, acceptedCount: 0, flags: f.flags, data: f.data }));
    this.arm(() => this.timedOut());
  }

  private arm(fn: () => void): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(fn, this.opts.retryMs ?? 500);
  }

  private timedOut(): void {
    if (!this.inFlight) return;
    if (this.inFlight.attempts > (this.opts.retries ?? 7)) this.end('bmc-silent');
    else this.transmit();
  }

  private acknowledged(p: SolPacket): void {
    const f = this.inFlight;
    if (!f || p.ackSequence !== f.sequence) return; // late answer to an older packet
    if (p.flags & SolStatus.nack) {
      // Not accepted (the BMC's buffer toward the system is full): same packet again later.
      f.attempts = 0;
      this.arm(() => this.transmit());
      return;
    }
    clearTimeout(this.timer);
    const rest = f.data.subarray(Math.min(p.acceptedCount, f.data.length));
    this.pending = concatBytes(rest, this.pending);
    this.inFlight = undefined;
    this.pump();
  }

  private delivered(p: SolPacket): void {
    const duplicate = p.sequence === this.lastReceived;
    this.lastReceived = p.sequence;
    this.h.send(encodeSolPacket({ sequence: 0, ackSequence: p.sequence, acceptedCount: p.data.length, flags: 0, data: new Uint8Array(0) }));
    if (!duplicate && p.data.length > 0) this.h.onData(p.data);
  }

  private end(reason: 'bmc-silent' | 'bmc-deactivated'): void {
    if (this.ended) return;
    this.stop();
    this.h.onEnd(reason);
  }
}
