import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { constants as zc, inflateRaw } from 'node:zlib';
import { decodeL2Entry, decodeQcow2Header, HEADER_READ_BYTES, l2TableOffset, Qcow2Error, type ClusterMapping, type Qcow2Header } from './qcow2-header.ts';

export { Qcow2Error } from './qcow2-header.ts';

const inflateRawAsync = promisify(inflateRaw) as (buf: Buffer, opts: object) => Promise<Buffer>;

/** Largest read or zero chunk emitted at once, bytes. */
const CHUNK = 1 << 20;

export interface Qcow2Image {
  /** Size of the raw disk the stream emits, bytes. */
  virtualSize: number;
  clusterSize: number;
  version: 2 | 3;
  /** The raw disk, in order, read cluster by cluster (never the whole image in memory). */
  createReadStream(): Readable;
}

/** Reads and checks the header and the L1 table; the data is read later, per stream. */
export async function openQcow2(path: string): Promise<Qcow2Image> {
  const fh = await open(path, 'r');
  try {
    const fileSize = (await fh.stat()).size;
    const header = decodeQcow2Header(await readAt(fh, HEADER_READ_BYTES, 0));
    const l1 = await readL1(fh, header, fileSize);
    return {
      virtualSize: header.size,
      clusterSize: header.clusterSize,
      version: header.version,
      createReadStream: () => Readable.from(readDisk(path, header, l1, fileSize), { objectMode: false, highWaterMark: CHUNK }),
    };
  } finally {
    await fh.close();
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

async function readL1(fh: FileHandle, h: Qcow2Header, fileSize: number): Promise<BigUint64Array> {
  const bytes = h.l1Size * 8;
  if (h.l1TableOffset + bytes > fileSize) throw new Qcow2Error(`qcow2 L1 table (${bytes} bytes at ${h.l1TableOffset}) runs past the end of the file (${fileSize} bytes)`);
  const raw = await readAt(fh, bytes, h.l1TableOffset);
  const out = new BigUint64Array(h.l1Size);
  for (let i = 0; i < h.l1Size; i++) out[i] = raw.readBigUInt64BE(i * 8);
  return out;
}

function* zeros(n: number): Generator<Buffer> {
  for (let left = n; left > 0; left -= CHUNK) yield Buffer.alloc(Math.min(CHUNK, left));
}

async function* readDisk(path: string, h: Qcow2Header, l1: BigUint64Array, fileSize: number): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  try {
    const bytesPerL2 = h.clusterSize * (h.clusterSize / 8);
    const tables = Math.ceil(h.size / bytesPerL2);
    for (let i = 0; i < tables; i++) {
      const rangeBytes = Math.min(bytesPerL2, h.size - i * bytesPerL2);
      const l2Offset = l2TableOffset(l1[i]);
      if (l2Offset === 0) {
        yield* zeros(rangeBytes);
        continue;
      }
      if (l2Offset % h.clusterSize !== 0 || l2Offset + h.clusterSize > fileSize) {
        throw new Qcow2Error(`qcow2 L1 entry ${i} points to an L2 table at ${l2Offset}, past the end of the file (${fileSize} bytes) or unaligned`);
      }
      const l2 = await readAt(fh, h.clusterSize, l2Offset);
      yield* readL2Range(fh, h, l2, rangeBytes, fileSize, i);
    }
  } finally {
    await fh.close();
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
    if (m.kind === 'zero') yield* zeros(want);
    else if (m.kind === 'data') yield await readData(fh, m.hostOffset, want, fileSize, where);
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
async function readData(fh: FileHandle, hostOffset: number, length: number, fileSize: number, where: string): Promise<Buffer> {
  if (hostOffset >= fileSize) throw new Qcow2Error(`qcow2 ${where} points to host offset ${hostOffset}, past the end of the file (${fileSize} bytes)`);
  const got = await readAt(fh, length, hostOffset);
  return got.length === length ? got : Buffer.concat([got, Buffer.alloc(length - got.length)]);
}

async function inflateCluster(fh: FileHandle, m: Extract<ClusterMapping, { kind: 'compressed' }>, clusterSize: number, fileSize: number, where: string): Promise<Buffer> {
  if (m.hostOffset >= fileSize) throw new Qcow2Error(`qcow2 compressed ${where} at host offset ${m.hostOffset} is past the end of the file (${fileSize} bytes)`);
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
