import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { constants as zc, inflateRaw } from 'node:zlib';
import {
  checkMapping,
  checkQcow2Layout,
  decodeL2Entry,
  decodeQcow2Header,
  HEADER_READ_BYTES,
  l2TableOffset,
  Qcow2Error,
  type ClusterMapping,
  type Qcow2Header,
  type Qcow2Limits,
} from './qcow2-header.ts';

export { Qcow2Error, type Qcow2Limits } from './qcow2-header.ts';

const inflateRawAsync = promisify(inflateRaw) as (buf: Buffer, opts: object) => Promise<Buffer>;

/** Largest read or zero chunk emitted at once, bytes. */
const CHUNK = 1 << 20;

export interface Qcow2Image {
  /** Size of the raw disk the stream emits, bytes. */
  virtualSize: number;
  /** Guest bytes in allocated (data or compressed) clusters; the rest of the disk reads as zeros. */
  dataBytes: number;
  clusterSize: number;
  version: 2 | 3;
  /** The raw disk, in order, read cluster by cluster (never the whole image in memory). */
  createReadStream(): Readable;
}

/**
 * Reads and checks the header, the L1 table and every L2 table it uses, so a corrupt or
 * hostile image fails here, before any output is written; the data is read later, per stream.
 */
export async function openQcow2(path: string | FileHandle, limits: Qcow2Limits = {}): Promise<Qcow2Image> {
  const fh = typeof path === 'string' ? await open(path, 'r') : path;
  try {
    const fileSize = (await fh.stat()).size;
    const header = decodeQcow2Header(await readAt(fh, HEADER_READ_BYTES, 0), limits);
    checkQcow2Layout(header, fileSize);
    const l1 = await readL1(fh, header);
    const dataBytes = await allocatedBytes(fh, header, l1, fileSize);
    return {
      virtualSize: header.size,
      dataBytes,
      clusterSize: header.clusterSize,
      version: header.version,
      createReadStream: () => Readable.from(readDisk(path, header, l1, fileSize), { objectMode: false, highWaterMark: CHUNK }),
    };
  } finally {
    if (fh !== path) await fh.close(); // a descriptor given to us stays its owner's
  }
}

async function readAt(fh: FileHandle, length: number, position: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === length ? buf : buf.subarray(0, got);
}

async function readL1(fh: FileHandle, h: Qcow2Header): Promise<BigUint64Array> {
  const raw = await readAt(fh, h.l1Size * 8, h.l1TableOffset);
  const out = new BigUint64Array(h.l1Size);
  for (let i = 0; i < h.l1Size; i++) out[i] = raw.readBigUInt64BE(i * 8);
  return out;
}

/** The L2 tables the disk uses, in order: index, guest bytes it maps, and its host offset (0: unallocated). */
function* l2Ranges(h: Qcow2Header, l1: BigUint64Array): Generator<{ index: number; rangeBytes: number; offset: number }> {
  const bytesPerL2 = h.clusterSize * (h.clusterSize / 8);
  const tables = Math.ceil(h.size / bytesPerL2);
  for (let i = 0; i < tables; i++) yield { index: i, rangeBytes: Math.min(bytesPerL2, h.size - i * bytesPerL2), offset: l2TableOffset(l1[i]) };
}

async function readL2(fh: FileHandle, h: Qcow2Header, offset: number, index: number, fileSize: number): Promise<Buffer> {
  if (offset % h.clusterSize !== 0 || offset + h.clusterSize > fileSize) {
    throw new Qcow2Error(`qcow2 L1 entry ${index} points to an L2 table at ${offset}, past the end of the file (${fileSize} bytes) or unaligned`);
  }
  return readAt(fh, h.clusterSize, offset);
}

/**
 * Checks every mapping of the disk and sums the guest bytes of allocated clusters: what the
 * free-space check bounds the output by. L2 tables shared by several L1 entries (legal, or
 * forged to make the scan slow) are read once.
 */
async function allocatedBytes(fh: FileHandle, h: Qcow2Header, l1: BigUint64Array, fileSize: number): Promise<number> {
  const seen = new Map<string, number>();
  let total = 0;
  for (const r of l2Ranges(h, l1)) {
    if (r.offset === 0) continue;
    const key = `${r.offset}/${r.rangeBytes}`;
    let n = seen.get(key);
    if (n === undefined) {
      n = allocatedInL2(h, await readL2(fh, h, r.offset, r.index, fileSize), r.rangeBytes, fileSize, r.index);
      seen.set(key, n);
    }
    total += n;
  }
  return total;
}

function allocatedInL2(h: Qcow2Header, l2: Buffer, rangeBytes: number, fileSize: number, l1Index: number): number {
  const clusters = Math.ceil(rangeBytes / h.clusterSize);
  let n = 0;
  for (let c = 0; c < clusters; c++) {
    const m = decodeL2Entry(l2.readBigUInt64BE(c * 8), h.clusterBits);
    checkMapping(m, h.clusterSize, fileSize, `guest cluster ${(l1Index * h.clusterSize) / 8 + c}`);
    if (m.kind !== 'zero') n += Math.min(h.clusterSize, rangeBytes - c * h.clusterSize);
  }
  return n;
}

function* zeros(n: number): Generator<Buffer> {
  for (let left = n; left > 0; left -= CHUNK) yield Buffer.alloc(Math.min(CHUNK, left));
}

async function* readDisk(path: string | FileHandle, h: Qcow2Header, l1: BigUint64Array, fileSize: number): AsyncGenerator<Buffer> {
  const fh = typeof path === 'string' ? await open(path, 'r') : path;
  try {
    for (const r of l2Ranges(h, l1)) {
      if (r.offset === 0) yield* zeros(r.rangeBytes);
      else yield* readL2Range(fh, h, await readL2(fh, h, r.offset, r.index, fileSize), r.rangeBytes, fileSize, r.index);
    }
  } finally {
    if (fh !== path) await fh.close();
  }
}

/** One L2 table's guest range; runs of zero or host-contiguous clusters are merged into big reads. */
async function* readL2Range(fh: FileHandle, h: Qcow2Header, l2: Buffer, rangeBytes: number, fileSize: number, l1Index: number): AsyncGenerator<Buffer> {
  const clusters = Math.ceil(rangeBytes / h.clusterSize);
  const maxRun = Math.max(1, CHUNK / h.clusterSize);
  let c = 0;
  while (c < clusters) {
    const m = decodeL2Entry(l2.readBigUInt64BE(c * 8), h.clusterBits);
    let run = 1;
    while (c + run < clusters && run < maxRun && continues(m, decodeL2Entry(l2.readBigUInt64BE((c + run) * 8), h.clusterBits), run, h.clusterSize)) run++;
    const want = Math.min(run * h.clusterSize, rangeBytes - c * h.clusterSize);
    const where = `guest cluster ${(l1Index * h.clusterSize) / 8 + c}`;
    checkMapping(m, h.clusterSize, fileSize, where);
    if (m.kind === 'zero') yield* zeros(want);
    else if (m.kind === 'data') yield await readData(fh, m.hostOffset, want);
    else yield (await inflateCluster(fh, m, h.clusterSize, fileSize, where)).subarray(0, want);
    c += run;
  }
}

/** Whether the cluster `run` places after `first` extends the same zero run or contiguous data run. */
function continues(first: ClusterMapping, next: ClusterMapping, run: number, clusterSize: number): boolean {
  if (first.kind === 'zero') return next.kind === 'zero';
  if (first.kind === 'data') return next.kind === 'data' && next.hostOffset === first.hostOffset + run * clusterSize;
  return false;
}

/** A standard cluster run; bytes past the end of the file read as zeros, as QEMU reads them. */
async function readData(fh: FileHandle, hostOffset: number, length: number): Promise<Buffer> {
  const got = await readAt(fh, length, hostOffset);
  return got.length === length ? got : Buffer.concat([got, Buffer.alloc(length - got.length)]);
}

async function inflateCluster(fh: FileHandle, m: Extract<ClusterMapping, { kind: 'compressed' }>, clusterSize: number, fileSize: number, where: string): Promise<Buffer> {
  // The sector count rounds up, so the last cluster's data may end before its last sector does.
  const compressed = await readAt(fh, Math.min(m.compressedBytes, fileSize - m.hostOffset), m.hostOffset);
  let out: Buffer;
  try {
    out = await inflateRawAsync(compressed, { maxOutputLength: clusterSize, finishFlush: zc.Z_SYNC_FLUSH });
  } catch (err) {
    throw new Qcow2Error(`qcow2 compressed ${where} does not inflate: ${(err as Error).message}`);
  }
  if (out.length !== clusterSize) throw new Qcow2Error(`qcow2 compressed ${where} inflates to ${out.length} bytes, want ${clusterSize}`);
  return out;
}
