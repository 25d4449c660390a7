/**
 * A scripted TFTP client on loopback, built on the codec, for tests and the benchmark:
 * it can do what real clients cannot be told to do (probe and abort like OVMF, vanish,
 * send from a foreign port, send garbage).
 */
import dgram from 'node:dgram';
import { decodeTftp, encodeTftp, isDecodeError, type TftpOption, type TftpPacket } from './codec.ts';

export interface Received {
  packet: TftpPacket;
  port: number;
}

export class LoopbackPeer {
  private queue: Received[] = [];
  private pending = 0;
  private closeWanted = false;
  private waiters: Array<(r: Received | undefined) => void> = [];
  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (msg, rinfo) => {
      const packet = decodeTftp(msg);
      if (isDecodeError(packet)) return;
      const r = { packet, port: rinfo.port };
      const w = this.waiters.shift();
      if (w) w(r);
      else this.queue.push(r);
    });
  }

  static async open(): Promise<LoopbackPeer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    return new LoopbackPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  sendRaw(bytes: Uint8Array, port: number): void {
    this.pending++;
    this.socket.send(bytes, port, '127.0.0.1', () => {
      if (--this.pending === 0 && this.closeWanted) this.socket.close();
    });
  }

  send(p: TftpPacket, port: number): void {
    this.sendRaw(encodeTftp(p), port);
  }

  /** Next decoded datagram, or undefined after `ms`. */
  next(ms = 2000): Promise<Received | undefined> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(undefined);
      }, ms);
      const waiter = (r: Received | undefined) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.waiters.push(waiter);
    });
  }

  /** Closes once queued datagrams have left (a close right after a send drops it). */
  close(): void {
    if (this.closeWanted) return;
    this.closeWanted = true;
    if (this.pending === 0) this.socket.close();
  }
}

export interface FetchResult {
  data: Buffer;
  oack?: TftpOption[];
  error?: { code: number; message: string };
}

/**
 * A well-behaved client (RFC 1350 + options + RFC 7440 windows): ACKs every window end,
 * ACKs the last in-order block on a gap, stops on ERROR or a short block.
 */
export async function fetchFile(serverPort: number, filename: string, options: TftpOption[] = []): Promise<FetchResult> {
  const peer = await LoopbackPeer.open();
  try {
    peer.send({ op: 'rrq', filename, mode: 'octet', options }, serverPort);
    return await receive(peer);
  } finally {
    peer.close();
  }
}

async function receive(peer: LoopbackPeer): Promise<FetchResult> {
  const parts: Uint8Array[] = [];
  let blksize = 512;
  let window = 1;
  let expected = 1;
  let inWindow = 0;
  let oack: TftpOption[] | undefined;
  for (;;) {
    const r = await peer.next();
    if (!r) throw new Error(`timed out waiting for block ${expected}`);
    const p = r.packet;
    if (p.op === 'error') return { data: Buffer.concat(parts), oack, error: { code: p.code, message: p.message } };
    if (p.op === 'oack') {
      oack = p.options;
      for (const o of p.options) {
        if (o.name === 'blksize') blksize = Number(o.value);
        if (o.name === 'windowsize') window = Number(o.value);
      }
      peer.send({ op: 'ack', block: 0 }, r.port);
      continue;
    }
    if (p.op !== 'data') continue;
    if (p.block !== (expected & 0xffff)) {
      peer.send({ op: 'ack', block: (expected - 1) & 0xffff }, r.port);
      inWindow = 0;
      continue;
    }
    parts.push(p.data);
    expected++;
    inWindow++;
    const last = p.data.length < blksize;
    if (last || inWindow === window) {
      peer.send({ op: 'ack', block: p.block }, r.port);
      inWindow = 0;
    }
    if (last) return { data: Buffer.concat(parts), oack };
  }
}
