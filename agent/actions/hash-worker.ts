import { Worker } from 'node:worker_threads';

/**
 * A running hash (sha256/sha512) computed on a worker thread, over ranges of a SharedArrayBuffer
 * the caller fills. Hashing a disk image costs about as much CPU as decompressing it; on its own
 * thread it overlaps with the HTTP receive and the decompressor, as the stages of
 * `curl | zstd -dc | dd` overlap in their own processes.
 *
 * Requests are answered in the order they were posted, and ranges are hashed in that order.
 */
export class HashWorker {
  private readonly worker: Worker;
  private readonly waiting: { resolve: (v: string) => void; reject: (e: Error) => void }[] = [];
  private failed: Error | undefined;

  constructor(
    readonly algorithm: string,
    memory: SharedArrayBuffer = new SharedArrayBuffer(0),
  ) {
    // Inline CommonJS source, not a file: the agent ships as one bundled file.
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { algorithm, memory } });
    this.worker.on('message', (m: { ok: boolean; value: string }) => {
      const w = this.waiting.shift();
      if (!w) return;
      if (m.ok) w.resolve(m.value);
      else w.reject(new Error(m.value));
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the hashing thread stopped (exit ${code})`)));
  }

  /** Hashes memory[offset, offset+length); resolves once those bytes may be overwritten. */
  update(offset: number, length: number): Promise<string> {
    return this.ask({ op: 'update', offset, length });
  }

  /** Reads bytes [from, to) of open file `fd` (read-only) and hashes them: bytes another process wrote there. */
  updateFromFile(fd: number, from: number, to: number): Promise<string> {
    return this.ask({ op: 'file', fd, from, to });
  }

  /** Hex digest of everything hashed so far; the running hash goes on. */
  digestSoFar(): Promise<string> {
    return this.ask({ op: 'peek' });
  }

  /** Hex digest of everything hashed; the hash is reset after. */
  digest(): Promise<string> {
    return this.ask({ op: 'digest' });
  }

  async close(): Promise<void> {
    this.failed ??= new Error('the hashing thread was closed');
    await this.worker.terminate();
  }

  private ask(msg: object): Promise<string> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(msg);
    });
  }

  private fail(err: Error): void {
    this.failed ??= err;
    for (const w of this.waiting.splice(0)) w.reject(err);
  }
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { readSync } = require('node:fs');
let scratch;
const { algorithm, memory } = workerData;
let hash = createHash(algorithm);
parentPort.on('message', (m) => {
  try {
    if (m.op === 'update') {
      hash.update(new Uint8Array(memory, m.offset, m.length));
      parentPort.postMessage({ ok: true, value: '' });
    } else if (m.op === 'file') {
      scratch ??= Buffer.allocUnsafe(1 << 20);
      for (let at = m.from; at < m.to; ) {
        const n = readSync(m.fd, scratch, 0, Math.min(scratch.length, m.to - at), at);
        if (n <= 0) throw new Error('the target ends at ' + at + ', expected ' + m.to + ' bytes');
        hash.update(scratch.subarray(0, n));
        at += n;
      }
      parentPort.postMessage({ ok: true, value: '' });
    } else if (m.op === 'peek') {
      parentPort.postMessage({ ok: true, value: hash.copy().digest('hex') });
    } else {
      parentPort.postMessage({ ok: true, value: hash.digest('hex') });
      hash = createHash(algorithm);
    }
  } catch (err) {
    parentPort.postMessage({ ok: false, value: String(err && err.message || err) });
  }
});
`;
