import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { FanoutManifest, PeerReport, SourcesReply, SourcesRequest } from '../../core/contract/fanout.ts';
import type { HttpGet, HttpResponse } from '../actions/http-get.ts';
import { parseChecksum, type Progress } from '../actions/image2disk.ts';
import { startPeerServer, type PeerServer } from './peer-server.ts';
import { cutBytes } from '../../core/shared/cut-bytes.ts';
import { MAX_HAVE_PER_ASK } from '../../core/shared/fanout-limits.ts';

/** The tracker on its channel (the WebSocket /api/agent/v1/fanout/tracker, agent/fanout/client.ts), or a stand-in in tests. */
export interface TrackerClient {
  sources(req: SourcesRequest): Promise<SourcesReply>;
  report(r: PeerReport): Promise<void>;
}

export interface FanoutProgress extends Progress {
  bytesFromServer: number;
  bytesFromPeers: number;
}

export interface FanoutOptions {
  manifest: FanoutManifest;
  /** "sha256:hex" or "sha512:hex" of the whole raw disk, verified at the end as without fan-out. */
  checksum: string;
  /** The disk (a regular file in tests); it must exist. */
  target: string;
  tracker: TrackerClient;
  /** GET of raw chunks from..to (inclusive) from the control plane, the seed of last resort. */
  seed: (from: number, to: number) => Promise<HttpResponse>;
  /** GET for peers' chunk servers. */
  httpGet: HttpGet;
  /** Where the peer server listens; default all addresses, any port. */
  peerHost?: string;
  peerPort?: number;
  onProgress?: (p: FanoutProgress) => void;
  /** Called once the whole image is written and its checksum verified, before lingering to serve others. */
  onVerified?: () => void;
  /** Plans worked on at once; default 3. */
  workers?: number;
  /** After the last chunk, serve on while other agents still want chunks, at most this long, ms; default 60 000; 0 leaves at once. */
  lingerMs?: number;
  /** Control-plane failures in a row, without a chunk between them, before giving up; default 9. */
  maxServerFailures?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface FanoutResult {
  bytes: number;
  digest: string;
  bytesFromServer: number;
  bytesFromPeers: number;
  /** Peers dropped for serving wrong chunks or vanishing, with the reason. */
  dropped: Array<{ peer: string; problem: PeerReport['problem'] }>;
  /** Failed peer fetches, tracker calls and control-plane runs by cause ("peer ECONNREFUSED", "tracker TimeoutError", "peer busy (503)"): why chunks came from where they did. */
  failures: Record<string, number>;
}

/** Wait after a plan that brought nothing (its peers were all busy), ms. */
const BUSY_WAIT_MS = 200;

/** Tracker calls failed in a row before the agent takes chunks from the control plane without a plan. */
const TRACKER_FAILURES_BEFORE_FALLBACK = 6;

/**
 * Longest wait of the agent's own doubling back-off (busy peers, no hint from the tracker, an
 * agent lingering to serve others), ms: at a fixed 250 ms, 200 waiting agents asked the control
 * plane 800 times a second for nothing.
 */
export const IDLE_WAIT_MAX_MS = 2000;

/** The wait before the (k+1)-th call in a row that brought nothing, from the first wait `base`. */
export const idleWait = (base: number, k: number): number => Math.max(base, Math.min(IDLE_WAIT_MAX_MS, base * 2 ** k));

/**
 * The wait after the (k+1)-th fruitless plan in a row. The tracker's retryMs when it gave one: it
 * knows how many agents are waiting and grows the hint with them (core/fanout/tracker.ts), so the
 * swarm's idle calls stay bounded at any N; doubling on top of it made agents miss a holder
 * freeing up. Busy peers, or no hint: 200 or 250 ms, doubling.
 */
const idleWaitAfter = (reply: SourcesReply, busy: boolean, k: number): number =>
  busy ? idleWait(BUSY_WAIT_MS, k) : (reply.retryMs ?? idleWait(250, k));

/** Chunks one worker asks a plan for: a share of the image, so the workers' plans differ. */
const WANT_PER_PLAN = 64;

interface Swarm {
  o: FanoutOptions;
  fh: FileHandle;
  peer: PeerServer;
  missing: Set<number>;
  inflight: Set<number>;
  /** Chunks written since the last tracker call. */
  fresh: number[];
  bad: Map<string, PeerReport['problem']>;
  fromServer: number;
  fromPeers: number;
  serverFailures: number;
  /** Tracker calls failed in a row (any worker). */
  trackerFailures: number;
  failures: Record<string, number>;
  error?: Error;
  lastReport: number;
  /** Workers with nothing to ask for, woken when a chunk is released or written. */
  waiters: Set<() => void>;
  /** Plans in a row that brought this agent nothing (any worker): the agent's one idle back-off. */
  idle: number;
  /**
   * While idle, the one worker that asks the tracker (and waits between asks) for the whole
   * agent; the others wait for it. Each worker backing off on its own made an idle agent call
   * up to 1.5 times a second: at 200 agents, ~300 calls a second, a 1 Mbit/s link's worth.
   */
  prober?: object;
}

/**
 * Writes an image chunk by chunk from peers and the control plane, as the tracker plans it.
 * A chunk is written only when its sha256 matches the manifest; a peer that serves a wrong one is
 * reported and never asked again; a peer that fails twice in a row (one retry) is reported
 * unreachable. The tracker being unreachable means every chunk comes from the control plane.
 */
export async function fanoutWriteImage(o: FanoutOptions): Promise<FanoutResult> {
  const sum = parseChecksum(o.checksum);
  const m = o.manifest;
  if (m.sha256.length !== Math.ceil(m.rawBytes / m.chunkBytes)) throw new Error(`manifest of ${m.image} has ${m.sha256.length} digests for ${m.rawBytes} bytes in ${m.chunkBytes}-byte chunks`);
  // O_WRONLY without O_CREAT or O_TRUNC, as ImageWriter: the target must exist (a disk always does).
  const fh = await open(o.target, constants.O_WRONLY);
  let peer: PeerServer | undefined;
  try {
    peer = await startPeerServer(o.target, m, o.peerHost, o.peerPort);
    const s: Swarm = { o, fh, peer, missing: new Set(m.sha256.keys()), inflight: new Set(), fresh: [], bad: new Map(), fromServer: 0, fromPeers: 0, serverFailures: 0, trackerFailures: 0, failures: {}, lastReport: 0, waiters: new Set(), idle: 0 };
    await Promise.all(Array.from({ length: o.workers ?? 3 }, () => worker(s)));
    if (s.error) throw s.error;
    await fh.sync();
    progress(s, true);
    const digest = await digestOf(o.target, m.rawBytes, sum.algorithm);
    if (digest !== sum.hex) throw new Error(`checksum mismatch for ${m.image}: expected ${sum.algorithm}:${sum.hex}, got ${sum.algorithm}:${digest} (${m.rawBytes} bytes written to ${o.target})`);
    o.onVerified?.();
    await linger(s);
    return { bytes: m.rawBytes, digest, bytesFromServer: s.fromServer, bytesFromPeers: s.fromPeers, dropped: [...s.bad].map(([p, problem]) => ({ peer: p, problem })), failures: s.failures };
  } finally {
    if (peer) await o.tracker.sources({ image: m.image, peerPort: peer.port, have: [], want: [], leaving: true }).catch(() => undefined);
    await peer?.close();
    await fh.close();
  }
}

async function worker(s: Swarm): Promise<void> {
  const me = {};
  while (s.missing.size > 0 && !s.error) {
    if (s.idle > 0 && s.prober && s.prober !== me) {
      await changed(s, 1000); // another worker is asking for the whole agent
      continue;
    }
    // Reserved before asking, so two workers never plan the same chunk.
    const want = [...s.missing].filter((c) => !s.inflight.has(c)).slice(0, WANT_PER_PLAN);
    if (want.length === 0) {
      // Every missing chunk is another worker's: wait for one of them to finish or give chunks
      // back. (Polling every 50 ms woke 2 idle workers x 200 agents 8,000 times a second.)
      await changed(s, 1000);
      continue;
    }
    if (s.idle > 0) s.prober ??= me;
    for (const c of want) s.inflight.add(c);
    const reply = await ask(s, want);
    const mine = new Set(want);
    const plan = reply.plan.map((a) => ({ ...a, chunks: a.chunks.filter((c) => mine.delete(c)) })).filter((a) => a.chunks.length);
    release(s, [...mine]);
    const written = s.missing.size;
    if (plan.length) await Promise.all(plan.map((a) => (a.peer ? fromPeer(s, a.peer, a.chunks) : fromServer(s, a.chunks))));
    if (s.missing.size < written) {
      s.idle = 0;
      s.prober = undefined;
      wake(s); // the others ask again, at their old pace
      continue;
    }
    // Nothing came (no plan, or every source was busy): asking again at once only loads the
    // tracker and the peers. One worker waits, doubling, for the agent; the rest wait for it.
    s.prober ??= me;
    const k = s.idle++;
    if (s.prober === me) await pause(s, idleWaitAfter(reply, plan.length > 0, k));
  }
  if (s.prober === me) s.prober = undefined;
}

/**
 * The tracker's plan; without a tracker, the next chunks from the control plane (the plain
 * download). A tracker that fails once or twice is a busy control plane, not a gone one: the
 * agent waits and asks again. Falling back at once turned every slow answer into a run of chunks
 * from that same busy control plane (bench, 50 agents: 207 tracker timeouts, 53xS sent).
 */
async function ask(s: Swarm, want: number[]): Promise<SourcesReply> {
  const have = nextAnnouncement(s.fresh);
  try {
    const reply = await s.o.tracker.sources({ image: s.o.manifest.image, peerPort: s.peer.port, have, want });
    s.trackerFailures = 0;
    return reply;
  } catch (err) {
    count(s, `tracker ${failureCause(err as Error)}`);
    s.fresh.push(...have);
    if (++s.trackerFailures < TRACKER_FAILURES_BEFORE_FALLBACK) return { plan: [], wanting: 0, retryMs: Math.min(5000, 1000 * s.trackerFailures) };
    return { plan: [{ chunks: want.slice(0, 8) }], wanting: 0 };
  }
}

/** The written chunks the next ask announces, taken from `fresh`: at most MAX_HAVE_PER_ASK, the rest wait for the ask after. */
export function nextAnnouncement(fresh: number[]): number[] {
  return fresh.splice(0, MAX_HAVE_PER_ASK);
}

function release(s: Swarm, chunks: number[]): void {
  for (const c of chunks) s.inflight.delete(c);
  if (chunks.length) wake(s);
}

/** Resolves when another worker releases or writes a chunk, or after `ms` (so an error elsewhere cannot strand a worker). */
function changed(s: Swarm, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      s.waiters.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    s.waiters.add(done);
  });
}

function wake(s: Swarm): void {
  for (const w of [...s.waiters]) w();
}

/** One chunk at a time from one peer; the first wrong digest, or a second failure in a row, ends it. */
async function fromPeer(s: Swarm, peer: { id: string; url: string }, chunks: number[]): Promise<void> {
  for (let k = 0; k < chunks.length; k++) {
    const c = chunks[k];
    const problem = s.bad.has(peer.id) ? s.bad.get(peer.id) : await peerChunk(s, peer, c);
    if (problem === 'busy' || problem) {
      if (problem !== 'busy' && !s.bad.has(peer.id)) await dropPeer(s, peer.id, problem, c);
      return release(s, chunks.slice(k));
    }
  }
}

async function peerChunk(s: Swarm, peer: { url: string }, c: number): Promise<PeerReport['problem'] | 'busy' | undefined> {
  const url = `${peer.url}/fanout/${encodeURIComponent(s.o.manifest.image)}/${c}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    let data: Buffer;
    try {
      const res = await s.o.httpGet(url, {});
      if (res.status === 503 || res.status === 404) {
        count(s, `peer busy (${res.status})`);
        res.abort();
        return 'busy';
      }
      data = await bodyOf(res, chunkLength(s.o.manifest, c));
    } catch (err) {
      count(s, `peer ${failureCause(err as Error)}`);
      continue; // a peer that vanishes costs one retry
    }
    if (!(await accept(s, c, data, 'peer'))) return 'corrupt';
    return undefined;
  }
  return 'unreachable';
}

/** A failed fetch's cause, coarse enough to count: the socket error code, an idle transfer, or an HTTP status. */
function failureCause(err: Error & { code?: string }): string {
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return err.name; // DOMExceptions, whose numeric code says less
  if (err.code) return err.code;
  if (/^no data for/.test(err.message)) return 'idle';
  return /^HTTP \d+/.exec(err.message)?.[0] ?? err.message.slice(0, 40);
}

function count(s: Swarm, what: string): void {
  s.failures[what] = (s.failures[what] ?? 0) + 1;
}

async function dropPeer(s: Swarm, id: string, problem: PeerReport['problem'], chunk: number): Promise<void> {
  s.bad.set(id, problem);
  await s.o.tracker.report({ image: s.o.manifest.image, peer: id, problem, chunk }).catch(() => undefined);
}

/** Runs of consecutive chunks from the control plane, one request each. */
async function fromServer(s: Swarm, chunks: number[]): Promise<void> {
  const runs: number[][] = [];
  for (const c of chunks) {
    const run = runs.at(-1);
    if (run && run.at(-1) === c - 1) run.push(c);
    else runs.push([c]);
  }
  for (let r = 0; r < runs.length; r++) {
    const left = await serverRun(s, runs[r]);
    if (left.length) return release(s, [...left, ...runs.slice(r + 1).flat()]);
  }
}

/** Returns the chunks of the run not written (after a failure, which is counted and waited out). */
async function serverRun(s: Swarm, run: number[]): Promise<number[]> {
  let next = 0;
  try {
    const res = await s.o.seed(run[0], run.at(-1)!);
    try {
      if (res.status !== 200) throw new Error(`HTTP ${res.status} from the control plane for chunks ${run[0]}-${run.at(-1)}`);
      for await (const data of splitChunks(res.body, s.o.manifest, run[0], run.length)) {
        if (!(await accept(s, run[next], data, 'server'))) {
          s.error ??= new Error(`the control plane's chunk ${run[next]} of ${s.o.manifest.image} does not match its own manifest`);
          return run.slice(next);
        }
        next++;
        s.serverFailures = 0;
      }
    } finally {
      res.abort();
    }
    if (next < run.length) throw new Error(`the control plane ended chunks ${run[0]}-${run.at(-1)} after ${next}`);
    return [];
  } catch (err) {
    count(s, `server ${failureCause(err as Error)}`);
    const max = s.o.maxServerFailures ?? 9;
    if (++s.serverFailures > max) s.error ??= new Error(`fetching ${s.o.manifest.image} from the control plane failed ${s.serverFailures} times in a row, last: ${(err as Error).message}`);
    else await pause(s, Math.min(30_000, 1000 * 2 ** (s.serverFailures - 1)));
    return run.slice(next);
  }
}

/** Verifies chunk c against the manifest and, when it matches, writes it and offers it to other agents. */
async function accept(s: Swarm, c: number, data: Buffer, from: 'peer' | 'server'): Promise<boolean> {
  const m = s.o.manifest;
  if (data.length !== chunkLength(m, c) || createHash('sha256').update(data).digest('hex') !== m.sha256[c]) {
    release(s, [c]);
    return false;
  }
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await s.fh.write(data, done, data.length - done, c * m.chunkBytes + done);
    if (bytesWritten <= 0) throw new Error(`the disk took no bytes at offset ${c * m.chunkBytes + done} (is the image larger than the disk?)`);
    done += bytesWritten;
  }
  s.missing.delete(c);
  s.inflight.delete(c);
  if (s.missing.size === 0) wake(s); // the idle workers are done too
  s.fresh.push(c);
  s.peer.hold(c);
  if (from === 'peer') s.fromPeers += data.length;
  else s.fromServer += data.length;
  progress(s, false);
  return true;
}

function chunkLength(m: FanoutManifest, c: number): number {
  return Math.min(m.chunkBytes, m.rawBytes - c * m.chunkBytes);
}

/** A peer's whole answer, refused past the chunk's length (a peer cannot make the agent buffer more). */
async function bodyOf(res: HttpResponse, max: number): Promise<Buffer> {
  if (res.status !== 200) {
    res.abort();
    throw new Error(`HTTP ${res.status}`);
  }
  const parts: Uint8Array[] = [];
  let n = 0;
  try {
    for await (const b of res.body) {
      n += b.length;
      if (n > max) return Buffer.concat([...parts, b]).subarray(0, max + 1);
      parts.push(b);
    }
  } finally {
    res.abort();
  }
  return Buffer.concat(parts, n);
}

/** Cuts the control plane's stream of `count` chunks from `first` into one buffer per chunk. */
function splitChunks(body: AsyncIterable<Uint8Array>, m: FanoutManifest, first: number, count: number): AsyncGenerator<Buffer> {
  return cutBytes(body, (i) => (i < count ? chunkLength(m, first + i) : undefined));
}

/** Tracker calls failed in a row after which a lingering agent stops serving (the control plane is gone, not busy). */
const LINGER_TRACKER_FAILURES = 3;

async function linger(s: Swarm): Promise<void> {
  const until = Date.now() + (s.o.lingerMs ?? 60_000);
  for (let k = 0, failed = 0; Date.now() < until; k++) {
    const have = nextAnnouncement(s.fresh);
    const reply = await s.o.tracker.sources({ image: s.o.manifest.image, peerPort: s.peer.port, have, want: [] }).catch(() => undefined);
    if (reply?.wanting === 0) return;
    // A busy tracker: the last chunks are announced next time. Leaving at the first failure left
    // them unannounced, and the control plane sent them again to the others.
    if (!reply) s.fresh.push(...have);
    failed = reply ? 0 : failed + 1;
    if (failed >= LINGER_TRACKER_FAILURES) return;
    await pause(s, idleWait(500, k));
  }
}

/** The digest (hex) of the first `bytes` of the file at `path`, read back from it. */
export async function digestOf(path: string, bytes: number, algorithm: string): Promise<string> {
  const h = createHash(algorithm);
  if (bytes > 0) for await (const b of createReadStream(path, { start: 0, end: bytes - 1, highWaterMark: 1 << 20 })) h.update(b as Buffer);
  return h.digest('hex');
}

function progress(s: Swarm, force: boolean): void {
  if (!s.o.onProgress) return;
  const now = Date.now();
  if (!force && now - s.lastReport < 1000) return;
  s.lastReport = now;
  s.o.onProgress({ bytesDone: s.fromServer + s.fromPeers, bytesTotal: s.o.manifest.rawBytes, bytesFromServer: s.fromServer, bytesFromPeers: s.fromPeers });
}

/** A wait of the agent's (the options' sleep in tests). */
function pause(s: Swarm, ms: number): Promise<void> {
  return (s.o.sleep ?? delay)(ms);
}
