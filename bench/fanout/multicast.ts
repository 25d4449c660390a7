/**
 * Multicast with repair, one of the alternatives bench/fanout.bench.ts measures fan-out against
 * (docs/FANOUT.md), as FOG and udpcast do it: the control plane sends every block of the image
 * once to a multicast group, paced at its link's rate; at the end of a pass each receiver answers
 * with the blocks it is missing (or that it is done), and the next pass sends the union of what
 * is missing, until every receiver is done. A bench prototype, not product code.
 *
 * Datagrams: an 8-byte header (kind, pass or block) and up to BLOCK bytes of the raw image.
 *   DATA  kind 1, u32 block, payload          sender -> group
 *   END   kind 2, u32 pass                    sender -> group (a pass ended: answer it)
 *   FIN   kind 3                              sender -> group (everyone is done)
 *   NACK  kind 4, u32 pass, (u32 from, u32 count)*   receiver -> sender
 *   DONE  kind 5, u32 pass                    receiver -> sender
 */
import dgram from 'node:dgram';
import { open } from 'node:fs/promises';
import { digestOf } from '../../agent/fanout/swarm.ts';
import type { DiskJob, Received } from './disk-job.ts';

export const GROUP = '239.255.15.1';
export const DATA_PORT = 7500;
export const REPLY_PORT = 7501;
export const BLOCK = 1400;
/** Bytes a DATA datagram takes on the wire: payload, header, UDP, IP, Ethernet. */
export const WIRE = BLOCK + 8 + 8 + 20 + 14;
const KIND = { data: 1, end: 2, fin: 3, nack: 4, done: 5 } as const;
/** Missing ranges one NACK carries (8 bytes each, within one datagram); more wait for the next pass. */
const RANGES_PER_NACK = 170;

const header = (kind: number, n: number) => {
  const b = Buffer.alloc(8);
  b[0] = kind;
  b.writeUInt32BE(n, 4);
  return b;
};

export interface ReceiverOptions extends DiskJob {
  /** This agent's address on the bench's bridge: the interface that joins the group. */
  address: string;
}

/** Joins the group (before the bench's "go"); run() takes blocks until the sender's FIN. */
export async function multicastReceiver(o: ReceiverOptions): Promise<{ run: () => Promise<Received> }> {
  const blocks = Math.ceil(o.size / BLOCK);
  const have = new Uint8Array(blocks);
  let count = 0;
  let received = 0;
  let complete = false;
  const disk = await open(o.target, 'r+');
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((r) => sock.bind(DATA_PORT, r));
  sock.addMembership(GROUP, o.address);
  sock.setRecvBufferSize(4 * 2 ** 20); // capped by net.core.rmem_max, which the bench raises
  let finished!: (v: Received) => void;
  let failed!: (e: Error) => void;
  const result = new Promise<Received>((res, rej) => ((finished = res), (failed = rej)));
  const verify = async () => {
    // blocks arrive in any order: the disk is hashed once whole, read back
    if (`sha256:${await digestOf(o.target, o.size, 'sha256')}` !== o.checksum) throw new Error('multicast: every block arrived but the disk is not the image');
    complete = true;
    o.onVerified();
  };
  const answer = (pass: number, to: string) => {
    if (complete) return sock.send(header(KIND.done, pass), REPLY_PORT, to);
    const ranges: number[] = [];
    for (let b = 0; b < blocks && ranges.length < 2 * RANGES_PER_NACK; b++) {
      if (have[b]) continue;
      const from = b;
      while (b + 1 < blocks && !have[b + 1]) b++;
      ranges.push(from, b - from + 1);
    }
    const msg = Buffer.alloc(8 + 4 * ranges.length);
    header(KIND.nack, pass).copy(msg);
    ranges.forEach((v, i) => msg.writeUInt32BE(v, 8 + 4 * i));
    sock.send(msg, REPLY_PORT, to);
  };
  let idle: NodeJS.Timeout | undefined;
  const leave = () => {
    clearTimeout(idle);
    sock.close();
    void disk.close().then(() => finished({ fromServer: received, fromPeers: 0 }));
  };
  sock.on('message', (msg, rinfo) => {
    const kind = msg[0];
    // done, and nothing heard for 5 s: the sender's FIN was lost
    if (complete) idle = (clearTimeout(idle), setTimeout(leave, 5000));
    if (kind === KIND.data) {
      received += msg.length - 8;
      const b = msg.readUInt32BE(4);
      if (b >= blocks || have[b]) return;
      have[b] = 1;
      void disk.write(msg, 8, msg.length - 8, b * BLOCK).then(() => {
        if (++count === blocks) verify().catch(failed);
      }, failed);
    } else if (kind === KIND.end) answer(msg.readUInt32BE(4), rinfo.address);
    else if (kind === KIND.fin && complete) leave();
  });
  return { run: () => result };
}

export interface SenderOptions {
  image: Buffer;
  /** Receivers that must answer DONE. */
  receivers: number;
  /** The sender's address (its interface for the group). */
  address: string;
  /** Wire bytes a second it sends at: the control plane's link. */
  rate: number;
}

/** Sends passes until every receiver is done; what it sent. */
export async function multicastSend(o: SenderOptions): Promise<{ passes: number; blocksSent: number; repairBlocks: number }> {
  const blocks = Math.ceil(o.image.length / BLOCK);
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(REPLY_PORT, o.address, r));
  sock.setMulticastInterface(o.address);
  sock.setMulticastTTL(1);
  sock.setMulticastLoopback(false);
  const group = (b: Buffer) => new Promise<void>((r, j) => sock.send(b, DATA_PORT, GROUP, (e) => (e ? j(e) : r())));
  const done = new Set<string>();
  let answers = new Map<string, number[]>(); // receiver -> missing ranges, for the current pass
  let pass = 0;
  sock.on('message', (msg, rinfo) => {
    if (msg.length < 8) return;
    if (msg[0] === KIND.done) done.add(rinfo.address);
    // a NACK to an older pass is stale
    else if (msg[0] === KIND.nack && msg.readUInt32BE(4) === pass) answers.set(rinfo.address, Array.from({ length: (msg.length - 8) / 4 }, (_, i) => msg.readUInt32BE(8 + 4 * i)));
  });
  let toSend: number[] = Array.from({ length: blocks }, (_, i) => i);
  let blocksSent = 0;
  const t0 = performance.now();
  let wire = 0;
  while (done.size < o.receivers) {
    for (const b of toSend) {
      // paced: never ahead of the link's rate since the start (a burst beyond tbf's queue is dropped)
      const ahead = wire / o.rate - (performance.now() - t0) / 1000;
      if (ahead > 0.005) await new Promise((r) => setTimeout(r, ahead * 1000));
      await group(Buffer.concat([header(KIND.data, b), o.image.subarray(b * BLOCK, Math.min(o.image.length, (b + 1) * BLOCK))]));
      wire += WIRE;
      blocksSent++;
    }
    pass++;
    answers = new Map();
    // END until every receiver not yet done answered this pass (a lost END or answer is asked again every 500 ms), at most 5 s
    const answered = () => done.size + [...answers.keys()].filter((a) => !done.has(a)).length >= o.receivers;
    for (let tries = 0; tries < 10 && !answered(); tries++) {
      await group(header(KIND.end, pass));
      wire += 50;
      for (let t = 0; t < 25 && !answered(); t++) await new Promise((r) => setTimeout(r, 20));
    }
    const missing = new Set<number>();
    for (const ranges of answers.values()) for (let i = 0; i < ranges.length; i += 2) for (let b = ranges[i]; b < ranges[i] + ranges[i + 1]; b++) missing.add(b);
    toSend = [...missing].sort((a, b) => a - b);
  }
  for (let i = 0; i < 3; i++) await group(header(KIND.fin, 0)).then(() => new Promise((r) => setTimeout(r, 50)));
  sock.close();
  return { passes: pass, blocksSent, repairBlocks: blocksSent - blocks };
}
