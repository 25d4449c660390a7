import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { burninDefaults } from '../../core/model/burnin-defaults.ts';
import type { MemtestAction } from '../../core/model/template.ts';
import type { Static } from 'typebox';
import { figure, mbps, MiB, type BurninDeps } from './burnin-common.ts';

/** Memory is taken and tested in chunks this size, so the agent never asks the kernel for one huge block. */
export const MEMTEST_CHUNK = 64 * MiB;
/** The agent keeps at least this much available (MemAvailable) while it holds the chunks: never OOM the machine. */
export const MEMTEST_RESERVE = 128 * MiB;
/** Verification compares this much at a time against a reference of the pattern (native memcmp). */
const SLICE = 1 * MiB;

/** A pattern fills bytes [from, from+len) of the tested memory as seen from offset `from`. */
type Pattern = { name: string; fill: (ref: Buffer, from: number) => void };

const constant = (byte: number): Pattern => ({ name: `0x${byte.toString(16).padStart(2, '0')}`, fill: (ref) => void ref.fill(byte) });

/** Every 32-bit word holds its own offset (and then its complement): finds address lines that alias two places. */
const ownOffset = (invert: boolean): Pattern => ({
  name: invert ? '~offset' : 'offset',
  fill: (ref, from) => {
    const words = new Uint32Array(ref.buffer, ref.byteOffset, ref.length >>> 2);
    for (let i = 0; i < words.length; i++) words[i] = invert ? ~(from + i * 4) : from + i * 4;
  },
});

const PATTERNS: Pattern[] = [constant(0x55), constant(0xaa), ownOffset(false), ownOffset(true)];

export interface MemtestDeps extends BurninDeps {
  /** Bytes the kernel could give without swapping (MemAvailable); default /proc/meminfo, else os.freemem(). */
  availableBytes?: () => number;
  /** Test seam: runs after a pattern was written to every chunk and before it is verified (a test flips a byte there, standing for bad RAM). */
  afterWrite?: (chunks: readonly Buffer[]) => void;
}

export interface MemtestResult {
  testedBytes: number;
  seconds: number;
  mbps: number;
  mismatches: number;
  /** The first few differences: offset into the tested memory, what was written, what was read. */
  first: { offset: number; wrote: number; read: number }[];
  /** Why less than the share was tested (available memory fell), when it was. */
  short?: string;
}

export function memAvailable(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux, or no /proc: Node's own figure
  }
  return freemem();
}

/** The memtest action: throws with the figures when a byte read back differs or it is slower than minMBps. */
export async function runMemtest(a: Static<typeof MemtestAction>, d: MemtestDeps = {}): Promise<string> {
  const r = await testMemory(a, d);
  const passes = a.passes ?? burninDefaults.passes;
  const figures = `${figure(r.testedBytes / MiB)} MiB tested (${PATTERNS.length} patterns × ${passes} pass${passes > 1 ? 'es' : ''}) in ${figure(r.seconds)} s, ${figure(r.mbps)} MB/s`;
  if (r.mismatches > 0) {
    const where = r.first.map((f) => `0x${f.offset.toString(16)} (wrote 0x${f.wrote.toString(16)}, read 0x${f.read.toString(16)})`).join(', ');
    throw new Error(`memtest: ${r.mismatches} mismatches at offsets ${where}${r.mismatches > r.first.length ? ', ...' : ''}; ${figures}`);
  }
  if (a.minMBps !== undefined && r.mbps < a.minMBps) throw new Error(`memtest: ${figure(r.mbps)} MB/s is below minMBps ${a.minMBps}; ${figures}, 0 errors`);
  return `memtest: ${figures}, 0 errors${r.short ? `; ${r.short}` : ''}`;
}

export async function testMemory(a: Static<typeof MemtestAction>, d: MemtestDeps = {}): Promise<MemtestResult> {
  const available = d.availableBytes ?? memAvailable;
  const now = d.now ?? (() => performance.now());
  const passes = a.passes ?? burninDefaults.passes;
  let target = Math.floor((a.share ?? burninDefaults.share) * Math.max(0, available() - MEMTEST_RESERVE));
  if (a.maxMiB !== undefined) target = Math.min(target, a.maxMiB * MiB);
  target -= target % SLICE;
  if (target < SLICE) throw new Error(`memtest: ${figure(available() / MiB)} MiB available leaves nothing to test above the ${MEMTEST_RESERVE / MiB} MiB the agent keeps`);
  const started = now();
  const state = { done: 0, total: target * PATTERNS.length * passes * 2, mismatches: 0, first: [] as MemtestResult['first'] };
  const { chunks, short } = await takeChunks(target, PATTERNS[0], available, (n) => progress(d, state, n));
  try {
    for (let pass = 0; pass < passes; pass++) {
      for (const [i, p] of PATTERNS.entries()) {
        if (pass > 0 || i > 0) await writeAll(chunks, p, (n) => progress(d, state, n));
        d.afterWrite?.(chunks);
        await verifyAll(chunks, p, state, (n) => progress(d, state, n));
      }
    }
  } finally {
    chunks.length = 0; // the chunks go back to the garbage collector with this array
  }
  const seconds = (now() - started) / 1000;
  const tested = short ? short.tested : target;
  return { testedBytes: tested, seconds, mbps: mbps(state.done, seconds), mismatches: state.mismatches, first: state.first, short: short?.why };
}

function progress(d: MemtestDeps, state: { done: number; total: number }, n: number): void {
  state.done += n;
  d.onProgress?.({ bytesDone: state.done, bytesTotal: state.total });
}

/** Takes the memory chunk by chunk, writing the first pattern as it goes (so the pages are really there), and stops early if available memory falls to the reserve. */
async function takeChunks(target: number, first: Pattern, available: () => number, done: (n: number) => void) {
  const chunks: Buffer[] = [];
  let taken = 0;
  while (taken < target) {
    const size = Math.min(MEMTEST_CHUNK, target - taken);
    const left = available();
    if (left - size < MEMTEST_RESERVE) {
      if (taken === 0) throw new Error(`memtest: only ${figure(left / MiB)} MiB available, not enough for ${figure(size / MiB)} MiB above the ${MEMTEST_RESERVE / MiB} MiB the agent keeps`);
      return { chunks, short: { tested: taken, why: `stopped at ${figure(taken / MiB)} MiB: only ${figure(left / MiB)} MiB was still available` } };
    }
    const chunk = Buffer.allocUnsafeSlow(size);
    chunks.push(chunk);
    await writeChunk(chunk, taken, first, done);
    taken += size;
  }
  return { chunks, short: undefined };
}

async function writeAll(chunks: Buffer[], p: Pattern, done: (n: number) => void): Promise<void> {
  let base = 0;
  for (const c of chunks) {
    await writeChunk(c, base, p, done);
    base += c.length;
  }
}

async function writeChunk(chunk: Buffer, base: number, p: Pattern, done: (n: number) => void): Promise<void> {
  const ref = Buffer.allocUnsafe(SLICE);
  for (let at = 0; at < chunk.length; at += SLICE) {
    p.fill(ref, base + at);
    ref.copy(chunk, at);
    done(SLICE);
  }
  await yieldToLoop(); // heartbeats go on between chunks
}

async function verifyAll(chunks: Buffer[], p: Pattern, state: { mismatches: number; first: MemtestResult['first'] }, done: (n: number) => void): Promise<void> {
  const ref = Buffer.allocUnsafe(SLICE);
  let base = 0;
  for (const c of chunks) {
    for (let at = 0; at < c.length; at += SLICE) {
      p.fill(ref, base + at);
      if (c.compare(ref, 0, SLICE, at, at + SLICE) !== 0) recordMismatches(c, at, ref, base, state);
      done(SLICE);
    }
    base += c.length;
    await yieldToLoop();
  }
}

function recordMismatches(c: Buffer, at: number, ref: Buffer, base: number, state: { mismatches: number; first: MemtestResult['first'] }): void {
  for (let i = 0; i < SLICE; i++) {
    if (c[at + i] === ref[i]) continue;
    state.mismatches++;
    if (state.first.length < 8) state.first.push({ offset: base + at + i, wrote: ref[i], read: c[at + i] });
  }
}
