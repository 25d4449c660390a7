/**
 * One read transfer, seen from the sender: OACK (when options were agreed), then windows
 * of DATA blocks (RFC 7440; a window of 1 is RFC 1350 lock-step), retransmission on
 * timeout, and an end that says why. No sockets: the server hands in `send`, the block
 * reader and the clock, so tests drive time and loss by hand.
 */
import { encodeTftp, TftpErrorCode, type TftpOption, type TftpPacket } from './codec.ts';

/** Time as the session sees it; tests pass a fake. */
export interface TftpClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: TftpClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Random access to the file: retransmits read again by offset. */
export interface BlockReader {
  /** Up to `length` bytes at `offset`; fewer only at the end of the file. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void> | void;
}

export interface SessionConfig {
  /** File size, bytes. */
  size: number;
  /** Bytes per DATA block (512 unless negotiated). */
  blksize: number;
  /** Blocks per window (1 unless negotiated). */
  windowsize: number;
  /** Wait before retransmitting, milliseconds. */
  timeoutMs: number;
  /** Retransmissions of one window before giving up; 0: give up at the first timeout. */
  maxRetries: number;
  /** Options to acknowledge with an OACK; empty: no OACK, DATA 1 goes first. */
  oack: TftpOption[];
}

export type SessionEnd =
  | { outcome: 'done'; bytes: number }
  | { outcome: 'client-error'; bytes: number; code: number; message: string }
  | { outcome: 'timeout'; bytes: number }
  | { outcome: 'protocol-error'; bytes: number; message: string }
  | { outcome: 'read-error'; bytes: number; message: string }
  | { outcome: 'aborted'; bytes: number; message: string };

export interface SessionIo {
  send(datagram: Uint8Array): void;
  reader: BlockReader;
  clock: TftpClock;
  /** Called exactly once; the owner then closes the socket and the reader. */
  onEnd(end: SessionEnd): void;
}

/** Blocks in a file: the last one is shorter than blksize, possibly empty (RFC 1350 section 6). */
export function blockCount(size: number, blksize: number): number {
  return Math.floor(size / blksize) + 1;
}

/**
 * Maps a 16-bit ACK number to the absolute block it acknowledges, or undefined when it
 * is outside [lastAcked, lastSent]. Block numbers wrap past 65535 to 0 (the rollover
 * every common client uses), and a window never spans more than 65535 blocks, so the
 * mapping is unique.
 */
export function absoluteAck(wire: number, lastAcked: number, lastSent: number): number | undefined {
  const k = lastAcked + ((wire - (lastAcked & 0xffff) + 0x10000) & 0xffff);
  return k <= lastSent ? k : undefined;
}

export class TftpSession {
  private phase: 'new' | 'oack' | 'data' | 'closed' = 'new';
  private lastAcked = 0;
  private lastSent = 0;
  private retries = 0;
  private generation = 0;
  private timer: unknown;
  /** One resend per window on a duplicate ACK; more would feed the Sorcerer's Apprentice. */
  private duplicateResendArmed = false;
  private readonly total: number;
  readonly startedAt: number;

  constructor(
    private readonly config: SessionConfig,
    private readonly io: SessionIo,
  ) {
    this.total = blockCount(config.size, config.blksize);
    this.startedAt = io.clock.now();
  }

  get closed(): boolean {
    return this.phase === 'closed';
  }

  /** Bytes the client has acknowledged. */
  get bytesAcked(): number {
    return Math.min(this.lastAcked * this.config.blksize, this.config.size);
  }

  start(): void {
    if (this.config.oack.length > 0) {
      this.phase = 'oack';
      this.sendOack();
    } else {
      this.phase = 'data';
      void this.sendWindow();
    }
  }

  /** A packet from the transfer's own peer (the server filters other TIDs). */
  handle(p: TftpPacket): void {
    if (this.phase === 'closed') return;
    if (p.op === 'ack') return this.onAck(p.block);
    if (p.op === 'error') {
      // RFC 1350 section 7: an ERROR ends the transfer and is not answered. OVMF's size
      // probe (ERROR 8 right after our OACK) ends here.
      return this.end({ outcome: 'client-error', bytes: this.bytesAcked, code: p.code, message: p.message });
    }
    this.io.send(encodeTftp({ op: 'error', code: TftpErrorCode.illegalOperation, message: `unexpected ${p.op}` }));
    this.end({ outcome: 'protocol-error', bytes: this.bytesAcked, message: `client sent ${p.op} during a read` });
  }

  /** Ends the transfer from our side (server shutdown), telling the client why. */
  /** Ends without a word to the client: it has already moved on to another transfer. */
  cancel(message: string): void {
    if (this.phase === 'closed') return;
    this.end({ outcome: 'aborted', bytes: this.bytesAcked, message });
  }

  abort(message: string): void {
    if (this.phase === 'closed') return;
    this.io.send(encodeTftp({ op: 'error', code: TftpErrorCode.notDefined, message }));
    this.end({ outcome: 'aborted', bytes: this.bytesAcked, message });
  }

  private onAck(wire: number): void {
    if (this.phase === 'oack') {
      // RFC 2347 section 2: ACK 0 confirms the OACK; anything else is stale.
      if (wire !== 0) return;
      this.phase = 'data';
      this.progress();
      return;
    }
    const k = absoluteAck(wire, this.lastAcked, this.lastSent);
    if (k === undefined) return; // an ACK from an older window: nothing to do
    if (k === this.total) {
      this.lastAcked = k;
      return this.end({ outcome: 'done', bytes: this.config.size });
    }
    if (k > this.lastAcked) {
      this.lastAcked = k;
      return this.progress();
    }
    this.onDuplicateAck();
  }

  private progress(): void {
    this.retries = 0;
    this.duplicateResendArmed = true;
    void this.sendWindow();
  }

  /**
   * Same ACK again. With a window of 1 it is the Sorcerer's Apprentice case (RFC 1123
   * section 4.2.3.1): never answer it, the timer covers real loss. With a window, it
   * is how the receiver reports a gap (RFC 7440 section 4): resend once per window.
   */
  private onDuplicateAck(): void {
    if (this.config.windowsize === 1 || !this.duplicateResendArmed) return;
    this.duplicateResendArmed = false;
    void this.sendWindow();
  }

  private sendOack(): void {
    this.io.send(encodeTftp({ op: 'oack', options: this.config.oack }));
    this.armTimer();
  }

  /** Sends blocks lastAcked+1 .. lastAcked+windowsize, reading them again by offset. */
  private async sendWindow(): Promise<void> {
    const gen = ++this.generation;
    this.armTimer(); // also covers a read that never returns
    const { blksize, size } = this.config;
    const from = this.lastAcked + 1;
    const to = Math.min(this.lastAcked + this.config.windowsize, this.total);
    const offset = (from - 1) * blksize;
    const length = Math.min(size, to * blksize) - offset;
    let chunk: Uint8Array;
    try {
      chunk = await this.io.reader.read(offset, length);
    } catch (e) {
      if (gen === this.generation && !this.closed) this.failRead(`read at ${offset}: ${(e as Error).message}`);
      return;
    }
    if (gen !== this.generation || this.closed) return; // an ACK or a timeout moved on
    if (chunk.length < length) return this.failRead(`file shorter than announced at offset ${offset}`);
    for (let b = from; b <= to; b++) {
      const start = (b - from) * blksize;
      const data = chunk.subarray(start, Math.min(start + blksize, length));
      this.io.send(encodeTftp({ op: 'data', block: b & 0xffff, data }));
    }
    this.lastSent = to;
    this.armTimer();
  }

  private failRead(message: string): void {
    this.io.send(encodeTftp({ op: 'error', code: TftpErrorCode.notDefined, message: 'read error' }));
    this.end({ outcome: 'read-error', bytes: this.bytesAcked, message });
  }

  private armTimer(): void {
    this.io.clock.clearTimeout(this.timer);
    this.timer = this.io.clock.setTimeout(() => this.onTimeout(), this.config.timeoutMs);
  }

  private onTimeout(): void {
    this.timer = undefined;
    if (this.phase === 'closed') return;
    if (++this.retries > this.config.maxRetries) {
      return this.end({ outcome: 'timeout', bytes: this.bytesAcked });
    }
    if (this.phase === 'oack') return this.sendOack();
    this.duplicateResendArmed = true;
    void this.sendWindow();
  }

  private end(result: SessionEnd): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.generation++;
    this.io.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.io.onEnd(result);
  }
}
