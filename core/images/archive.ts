import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { bytesText, DEFAULT_MAX_IMAGE_BYTES } from './space.ts';
import {
  BLOCK,
  checkSparseMap,
  decodeGnuSparseExtension,
  decodeTarHeader,
  isZeroBlock,
  MAX_SPARSE_SEGMENTS,
  parsePaxRecords,
  paxSparse,
  shownName,
  SparseMap10Parser,
  TarError,
  type SparseSegment,
  type TarHeader,
} from './tar.ts';

export { TarError } from './tar.ts';

export type Bytes = AsyncIterable<Uint8Array>;
export type TarCompression = 'none' | 'gz' | 'xz';

/** Largest zero chunk emitted for a hole, bytes. */
const ZERO_CHUNK = 1 << 20;
/**
 * Largest pax extended header or GNU long name this reader holds in memory, bytes. They are
 * read whole, so a header claiming gigabytes must be refused before it is buffered.
 */
const MAX_META_BYTES = 1 << 20;

/** Pulls exact byte counts out of a chunked stream without gathering it whole. */
class ChunkReader {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  private async more(): Promise<boolean> {
    if (this.done) return false;
    const r = await this.it.next();
    if (r.done) return !(this.done = true);
    this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.length);
    return true;
  }

  /** Up to n bytes; fewer only at the end of the stream. */
  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n && (await this.more()));
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(out.length);
    return out;
  }

  async readExact(n: number, what: string): Promise<Buffer> {
    const b = await this.read(n);
    if (b.length !== n) throw new TarError(`archive ends inside ${what}`);
    return b;
  }

  /** Exactly n bytes as chunks, as they arrive. */
  async *take(n: number, what: string): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (!this.buf.length && !(await this.more())) throw new TarError(`archive ends inside ${what} (${left} bytes missing)`);
      const out = this.buf.subarray(0, left);
      this.buf = this.buf.subarray(out.length);
      left -= out.length;
      yield out;
    }
  }

  async skip(n: number, what: string): Promise<void> {
    for await (const _ of this.take(n, what));
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

const padded = (n: number) => Math.ceil(n / BLOCK) * BLOCK;

/** The disk inside a cloud image archive: Debian's tarballs hold one member, `disk.raw`. */
export function isDiskMember(name: string): boolean {
  return /(^|\/)disk\.raw$/.test(name) || /\.(raw|img)$/.test(name);
}

export interface TarDisk {
  name: string;
  /** Size of the raw disk, holes included, bytes. */
  size: number;
  /** Bytes the archive stores for it; the rest (size - dataBytes) is holes, read as zeros. */
  dataBytes: number;
  /** The raw disk in order, holes expanded to zeros. */
  data: AsyncGenerator<Buffer>;
  /** Releases the input when `data` is not read to its end. */
  close(): Promise<void>;
}

export interface TarLimits {
  /** Largest disk member accepted (its full size, holes included), bytes; default DEFAULT_MAX_IMAGE_BYTES (2 TiB). */
  maxBytes?: number;
}

function decompress(input: Bytes, compression: TarCompression): Bytes {
  if (compression === 'none') return input;
  const src = Readable.from(input, { objectMode: false });
  if (compression === 'gz') {
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    src.on('error', (err) => gunzip.destroy(err));
    return src.pipe(gunzip);
  }
  return xzDecode(src);
}

async function* xzDecode(src: Readable): AsyncGenerator<Uint8Array> {
  const { XzReadableStream } = (await import('xz-decompress')) as unknown as { XzReadableStream: new (s: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array> };
  const web = Readable.toWeb(src) as unknown as ReadableStream<Uint8Array>;
  try {
    yield* new XzReadableStream(web) as unknown as AsyncIterable<Uint8Array>;
  } catch (err) {
    throw err instanceof TarError ? err : new TarError(`xz stream does not decode: ${(err as Error).message}`);
  } finally {
    src.destroy();
  }
}

/**
 * Finds the disk member of a tar(.gz|.xz) stream and returns it as a raw disk stream. Reads
 * only as far as the member's end; GNU sparse members (old GNU 'S', pax 0.0/0.1/1.0) come
 * back with their holes as zeros.
 */
export async function rawDiskFromTar(input: Bytes, compression: TarCompression, wanted: (name: string) => boolean = isDiskMember, limits: TarLimits = {}): Promise<TarDisk> {
  const r = new ChunkReader(decompress(input, compression)[Symbol.asyncIterator]());
  try {
    const found = await findMember(r, wanted);
    checkDiskSize(found, limits.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES);
    const data = memberData(r, found);
    return { name: found.name, size: found.realSize, dataBytes: found.stored, data, close: () => r.close().catch(() => undefined) };
  } catch (err) {
    await r.close().catch(() => undefined);
    throw err;
  }
}

/** The disk's claimed size against the cap: a member claiming petabytes of holes must not be written out. */
function checkDiskSize(m: Member, max: number): void {
  if (m.realSize > max) {
    throw new TarError(`archive member ${shownName(m.name)} claims a size of ${bytesText(m.realSize)}, larger than the limit of ${bytesText(max)} (the image cache's maxImageBytes)`);
  }
}

interface Member {
  name: string;
  realSize: number;
  segments: SparseSegment[];
  /** Stored data bytes still to read after the sparse map (if any). */
  stored: number;
}

async function findMember(r: ChunkReader, wanted: (name: string) => boolean): Promise<Member> {
  const seen: string[] = []; // the first 20 names, for the message
  let seenCount = 0;
  let pax: Array<[string, string]> = [];
  let longName: string | undefined;
  for (;;) {
    const block = await r.read(BLOCK);
    if (block.length === 0 || isZeroBlock(block)) break;
    if (block.length < BLOCK) throw new TarError('archive ends inside a header');
    const h = decodeTarHeader(block);
    const size = h.type === 'x' || h.type === 'g' || h.type === 'L' ? h.size : sizeFromPax(pax, h.size);
    if (h.type === 'x' || h.type === 'L') {
      if (size > MAX_META_BYTES) throw new TarError(`the ${h.type === 'x' ? 'pax' : 'long name'} header of ${shownName(h.name)} claims ${size} bytes, more than the ${MAX_META_BYTES} this reader accepts`);
      const data = await r.readExact(padded(size), `the ${h.type === 'x' ? 'pax' : 'long name'} header of ${shownName(h.name)}`);
      if (h.type === 'x') pax = parsePaxRecords(data.subarray(0, size));
      else longName = data.subarray(0, size).toString('utf8').replace(/\0+$/, '');
      continue;
    }
    const sparse = paxSparse(pax);
    const name = sparse?.name ?? paxValue(pax, 'path') ?? longName ?? h.name;
    const isFile = h.type === '0' || h.type === '7' || h.type === 'S';
    if (isFile && wanted(name)) return member(r, h, name, size, sparse);
    if (seen.length < 20) seen.push(name);
    seenCount++;
    await skipMember(r, h, size);
    pax = [];
    longName = undefined;
  }
  const listed = seen.map(shownName).join(', ') + (seenCount > seen.length ? ` and ${seenCount - seen.length} more` : '');
  throw new TarError(`archive holds no disk image (want a member named disk.raw, *.raw or *.img; found ${seen.length ? listed : 'nothing'})`);
}

function paxValue(pax: Array<[string, string]>, key: string): string | undefined {
  return pax.findLast(([k]) => k === key)?.[1];
}

/** pax `size` overrides the header's (files past 8 GiB). */
function sizeFromPax(pax: Array<[string, string]>, headerSize: number): number {
  const v = paxValue(pax, 'size');
  if (v === undefined || !/^\d+$/.test(v)) return headerSize;
  if (!Number.isSafeInteger(Number(v))) throw new TarError(`pax size ${v} is too large`);
  return Number(v);
}

async function skipMember(r: ChunkReader, h: TarHeader, size: number): Promise<void> {
  if (h.gnuSparse) await gnuExtensions(r, h.gnuSparse.extended);
  await r.skip(padded(size), `member ${shownName(h.name)}`);
}

async function gnuExtensions(r: ChunkReader, extended: boolean): Promise<SparseSegment[]> {
  const out: SparseSegment[] = [];
  for (let more = extended; more; ) {
    const ext = decodeGnuSparseExtension(await r.readExact(BLOCK, 'a GNU sparse extension block'));
    out.push(...ext.segments);
    if (out.length > MAX_SPARSE_SEGMENTS) throw new TarError(`GNU sparse map has more than ${MAX_SPARSE_SEGMENTS} segments`);
    more = ext.extended;
  }
  return out;
}

async function member(r: ChunkReader, h: TarHeader, name: string, size: number, sparse: ReturnType<typeof paxSparse>): Promise<Member> {
  let m: Member;
  if (h.gnuSparse) {
    const segments = [...h.gnuSparse.segments, ...(await gnuExtensions(r, h.gnuSparse.extended))];
    m = { name, realSize: h.gnuSparse.realSize, segments, stored: size };
  } else if (sparse?.mapInData) {
    const map = await readMap10(r, size);
    m = { name, realSize: sparse.realSize ?? 0, segments: map.segments, stored: size - map.bytes };
  } else if (sparse) {
    m = { name, realSize: sparse.realSize ?? 0, segments: sparse.segments ?? [], stored: size };
  } else {
    m = { name, realSize: size, segments: [{ offset: 0, numBytes: size }], stored: size };
  }
  checkSparseMap(m.segments, m.realSize);
  const mapped = m.segments.reduce((s, x) => s + x.numBytes, 0);
  if (mapped !== m.stored) throw new TarError(`sparse map of ${shownName(name)} covers ${mapped} bytes but the archive stores ${m.stored}`);
  return m;
}

/** Sparse 1.0: the map is the first block(s) of the member's data. */
async function readMap10(r: ChunkReader, size: number): Promise<{ segments: SparseSegment[]; bytes: number }> {
  const parser = new SparseMap10Parser();
  for (let read = 0; ; read += BLOCK) {
    if (read >= size) throw new TarError('sparse 1.0 map runs past the member data');
    const map = parser.push(await r.readExact(BLOCK, 'the sparse 1.0 map'));
    if (map) return map;
  }
}

async function* zeros(n: number): AsyncGenerator<Buffer> {
  for (let left = n; left > 0; left -= ZERO_CHUNK) yield Buffer.alloc(Math.min(ZERO_CHUNK, left));
}

async function* memberData(r: ChunkReader, m: Member): AsyncGenerator<Buffer> {
  try {
    let pos = 0;
    for (const s of m.segments) {
      yield* zeros(s.offset - pos);
      yield* r.take(s.numBytes, `the data of ${shownName(m.name)}`);
      pos = s.offset + s.numBytes;
    }
    yield* zeros(m.realSize - pos);
  } finally {
    await r.close().catch(() => undefined);
  }
}
