import { randomBytes, randomFillSync } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { burninDefaults } from '../../core/model/burnin-defaults.ts';
import type { DisktestAction } from '../../core/model/template.ts';
import type { Static } from 'typebox';
import { figure, mbps, MiB, type BurninDeps } from './burnin-common.ts';
import { mustRun, spawnExec, type Exec } from './exec.ts';

/** The disktest writes and reads in blocks this size; its memory is three of them, whatever the disk. */
const BLOCK = 1 * MiB;
const SECTOR = 512;
/** The tested MiB are spread over this many places, first at the start and last at the very end: a disk that is smaller than it claims fails. */
const MAX_EXTENTS = 8;

export interface DisktestDeps extends BurninDeps {
  /** Runs blockdev for the default dropCaches; default spawnExec. */
  exec?: Exec;
  /**
   * Runs between writing and reading back, so the reads come from the disk, not from the page
   * cache; default `blockdev --flushbufs DISK`. A string return is a note for the message (why
   * it could not). Test seam: a test corrupts the disk file here.
   */
  dropCaches?: () => Promise<string | undefined>;
}

export interface DiskTarget {
  path: string;
  sizeBytes: number;
}

/** One place on the disk that is tested: MiB offset and length. */
export interface Extent {
  startMiB: number;
  lengthMiB: number;
}

/** Spreads `testMiB` over up to MAX_EXTENTS equal extents from the start to the end of a disk of `diskMiB`, never overlapping. */
export function planExtents(testMiB: number, diskMiB: number): Extent[] {
  const want = Math.min(testMiB, diskMiB);
  const count = Math.max(1, Math.min(MAX_EXTENTS, want));
  const lengthMiB = Math.floor(want / count);
  if (count === 1) return [{ startMiB: 0, lengthMiB }];
  const step = (diskMiB - lengthMiB) / (count - 1); // >= lengthMiB because diskMiB >= count * lengthMiB
  return Array.from({ length: count }, (_, k) => ({ startMiB: Math.floor(k * step), lengthMiB }));
}

/**
 * The expected content of the block at `offset`: the run's random block, with every sector
 * stamped with its own disk offset and the run's seed, so a write that landed elsewhere, or
 * data left by an earlier run, cannot pass for this one.
 */
export function expectedBlock(out: Buffer, base: Buffer, seed: bigint, offset: number): Buffer {
  base.copy(out);
  for (let s = 0; s < out.length; s += SECTOR) {
    out.writeBigUInt64LE(BigInt(offset + s), s);
    out.writeBigUInt64LE(seed, s + 8);
  }
  return out;
}

/** BLKFLSBUF on the target only (busybox blockdev): its cached pages go, nothing else of the machine's page cache. */
async function flushDeviceCache(exec: Exec, path: string): Promise<string | undefined> {
  try {
    await mustRun(exec, 'blockdev', ['--flushbufs', path]);
    return undefined;
  } catch (err) {
    return `the device cache could not be flushed (${(err as Error).message.split('\n')[0]}), so reads may come from memory`;
  }
}

interface Run {
  disk: DiskTarget;
  fh: FileHandle;
  base: Buffer;
  seed: bigint;
  now: () => number;
  d: DisktestDeps;
  done: number;
  total: number;
}

/**
 * The disktest action. DESTRUCTIVE by design: it runs before image2disk, which overwrites the
 * disk anyway (template-rules refuses it after anything that wrote a disk). Throws with the
 * figures when a sector reads back different, the disk ends early, or it is slower than a threshold.
 */
export async function runDisktest(a: Static<typeof DisktestAction>, disk: DiskTarget, d: DisktestDeps = {}): Promise<string> {
  const diskMiB = Math.floor(disk.sizeBytes / MiB);
  if (diskMiB < 1) throw new Error(`disktest ${disk.path}: the disk is ${disk.sizeBytes} bytes, less than the 1 MiB it tests in`);
  const extents = planExtents(a.sizeMiB ?? burninDefaults.sizeMiB, diskMiB);
  const now = d.now ?? (() => performance.now());
  const fh = await open(disk.path, 'r+');
  try {
    const run: Run = { disk, fh, base: randomFillSync(Buffer.allocUnsafe(BLOCK)), seed: randomBytes(8).readBigUInt64LE(), now, d, done: 0, total: 0 };
    run.total = 2 * extents.reduce((n, e) => n + e.lengthMiB, 0) * MiB;
    const w = await writeExtents(run, extents, (a.maxSeconds ?? burninDefaults.maxSeconds) * 1000);
    const note = await (d.dropCaches ?? (() => flushDeviceCache(d.exec ?? spawnExec, disk.path)))();
    const r = await readExtents(run, w.written);
    return verdict(a, disk.path, w, r, note);
  } finally {
    await fh.close();
  }
}

/** Writes the extents in order until done or out of time; fsync is part of the write time. */
async function writeExtents(run: Run, extents: Extent[], budgetMs: number) {
  const started = run.now();
  const written: Extent[] = [];
  const block = Buffer.allocUnsafe(BLOCK);
  let outOfTime = false;
  for (const e of extents) {
    let n = 0;
    for (; n < e.lengthMiB; n++) {
      if (run.now() - started > budgetMs) outOfTime = true;
      if (outOfTime) break;
      const offset = (e.startMiB + n) * MiB;
      await writeFull(run.fh, expectedBlock(block, run.base, run.seed, offset), offset).catch((err: Error) => {
        throw new Error(`disktest ${run.disk.path}: cannot write at offset ${offset} (the disk reports ${run.disk.sizeBytes} bytes): ${err.message}`, { cause: err });
      });
      progress(run, BLOCK);
    }
    if (n > 0) written.push({ startMiB: e.startMiB, lengthMiB: n });
  }
  await run.fh.sync();
  const seconds = (run.now() - started) / 1000;
  const bytes = written.reduce((s, e) => s + e.lengthMiB, 0) * MiB;
  return { written, bytes, seconds, outOfTime, places: extents.length };
}

async function writeFull(fh: FileHandle, buf: Buffer, offset: number): Promise<void> {
  for (let at = 0; at < buf.length; ) {
    const { bytesWritten } = await fh.write(buf, at, buf.length - at, offset + at);
    if (bytesWritten <= 0) throw new Error(`write at offset ${offset + at} wrote nothing`);
    at += bytesWritten;
  }
}

/** Reads back every written block and compares it with what was written, sector by sector where it differs. */
async function readExtents(run: Run, written: Extent[]) {
  const started = run.now();
  const expected = Buffer.allocUnsafe(BLOCK);
  const got = Buffer.allocUnsafe(BLOCK);
  const bad = { sectors: 0, first: [] as number[], short: undefined as string | undefined };
  for (const e of written) {
    for (let n = 0; n < e.lengthMiB && !bad.short; n++) {
      const offset = (e.startMiB + n) * MiB;
      const len = await readFull(run.fh, got, offset);
      if (len < BLOCK) bad.short = `the disk ended at offset ${offset + len}, inside what was written`;
      expectedBlock(expected, run.base, run.seed, offset);
      if (got.compare(expected, 0, len, 0, len) !== 0) countBadSectors(got, expected, len, offset, bad);
      progress(run, BLOCK);
    }
  }
  return { ...bad, seconds: (run.now() - started) / 1000 };
}

async function readFull(fh: FileHandle, buf: Buffer, offset: number): Promise<number> {
  let at = 0;
  while (at < buf.length) {
    const { bytesRead } = await fh.read(buf, at, buf.length - at, offset + at);
    if (bytesRead <= 0) break;
    at += bytesRead;
  }
  return at;
}

function countBadSectors(got: Buffer, expected: Buffer, len: number, offset: number, bad: { sectors: number; first: number[] }): void {
  for (let s = 0; s < len; s += SECTOR) {
    if (got.compare(expected, s, s + SECTOR, s, s + SECTOR) === 0) continue;
    bad.sectors++;
    if (bad.first.length < 8) bad.first.push(offset + s);
  }
}

function progress(run: Run, n: number): void {
  run.done += n;
  run.d.onProgress?.({ bytesDone: run.done, bytesTotal: run.total });
}

function verdict(
  a: Static<typeof DisktestAction>,
  path: string,
  w: Awaited<ReturnType<typeof writeExtents>>,
  r: Awaited<ReturnType<typeof readExtents>>,
  note: string | undefined,
): string {
  const writeMBps = mbps(w.bytes, w.seconds);
  const readMBps = mbps(w.bytes, r.seconds);
  const figures =
    `${figure(w.bytes / MiB)} MiB in ${w.written.length} of ${w.places} places written at ${figure(writeMBps)} MB/s and read back at ${figure(readMBps)} MB/s` +
    `, ${figure(w.seconds + r.seconds)} s${w.outOfTime ? ` (the write stopped at maxSeconds ${a.maxSeconds ?? burninDefaults.maxSeconds})` : ''}`;
  if (r.short) throw new Error(`disktest ${path}: ${r.short}; ${figures}`);
  if (r.sectors > 0) {
    const where = r.first.map((o) => `0x${o.toString(16)}`).join(', ');
    throw new Error(`disktest ${path}: ${r.sectors} sectors read back different from what was written, at offsets ${where}${r.sectors > r.first.length ? ', ...' : ''}; ${figures}`);
  }
  if (a.minWriteMBps !== undefined && writeMBps < a.minWriteMBps) throw new Error(`disktest ${path}: writes at ${figure(writeMBps)} MB/s, below minWriteMBps ${a.minWriteMBps}; ${figures}, 0 errors`);
  if (a.minReadMBps !== undefined && readMBps < a.minReadMBps) throw new Error(`disktest ${path}: reads at ${figure(readMBps)} MB/s, below minReadMBps ${a.minReadMBps}; ${figures}, 0 errors`);
  return `disktest ${path}: ${figures}, 0 errors${note ? `; ${note}` : ''}`;
}
