import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { isDiskMember, rawDiskFromTar } from './archive.ts';
import type { DigestAlgorithm, SourceFormat } from './image-spec.ts';
import { openQcow2 } from './qcow2.ts';
import { bytesText, DEFAULT_MAX_IMAGE_BYTES } from './space.ts';

type Bytes = AsyncIterable<Uint8Array>;

/**
 * An image file to read: a path, or a descriptor already opened and checked (an import: the
 * bytes read are those of the file checked, whatever happens to its name meanwhile). A
 * descriptor is read by position, never moved or closed here: its owner closes it.
 */
export type SourceFile = string | FileHandle;

/** The whole file as a stream, from its first byte. */
export function sourceStream(src: SourceFile): Readable {
  const options = { highWaterMark: 1 << 20, start: 0 };
  return typeof src === 'string' ? createReadStream(src, options) : src.createReadStream({ ...options, autoClose: false });
}

/**
 * gzip level of the served copy. 6 (zlib's default) is within a few percent of 9 in size at
 * about twice the speed; the conversion runs once per image, the transfer once per machine.
 */
export const SERVED_GZIP_LEVEL = 6;

/** A source opened for conversion: what it says about its size, and its raw disk as a stream. */
export interface RawDisk {
  /** Size of the raw disk when the format states it before any data is read, bytes. */
  size?: number;
  /** With size: at most this many bytes may hold data; the rest is known zeros (holes, unallocated clusters). */
  dataBytes?: number;
  /** The raw disk, in order; nothing is gathered whole, and nothing is opened until it is read. */
  data: Bytes;
  /** Releases the source when `data` is not read to its end. */
  close(): Promise<void>;
}

export interface RawDiskLimits {
  /** Largest raw disk accepted, bytes: a size claimed by the header is refused up front, an unknown one when the stream passes it. */
  maxRawBytes?: number;
}

/**
 * Opens the raw disk inside a file of the given format. Headers are read and checked here
 * (qcow2 tables, the tar member's size and sparse map), so a corrupt or hostile file fails
 * before any output exists.
 */
export async function openRawDisk(path: SourceFile, format: SourceFormat, limits: RawDiskLimits = {}): Promise<RawDisk> {
  const max = limits.maxRawBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  const file = () => sourceStream(path);
  const unsized = (data: () => Bytes): RawDisk => ({ data: lazy(data), close: async () => undefined });
  switch (format) {
    case 'raw':
      return openRaw(path, max, file);
    case 'gz':
      return unsized(() => gunzip(file()));
    case 'xz':
      return unsized(() => xz(file()));
    case 'zst':
      return unsized(() => zstd(file()));
    case 'qcow2': {
      const img = await openQcow2(path, { maxVirtualSize: max });
      return { size: img.virtualSize, dataBytes: img.dataBytes, data: lazy(() => img.createReadStream()), close: async () => undefined };
    }
    case 'tar':
    case 'tar.gz':
    case 'tar.xz': {
      const disk = await rawDiskFromTar(file(), format === 'tar' ? 'none' : format === 'tar.gz' ? 'gz' : 'xz', isDiskMember, { maxBytes: max });
      return { size: disk.size, dataBytes: disk.dataBytes, data: disk.data, close: disk.close };
    }
  }
}

/** Formats that can be converted while they arrive, with no seeking: an upload's. */
export type StreamFormat = 'raw' | 'gz' | 'xz' | 'zst';

/**
 * The raw disk inside a stream that arrives once, front to back (an upload): `rawBytes` is the
 * size of a raw stream, known from its declared length; a compressed one says nothing up front.
 */
export function rawDiskFromStream(src: Readable, format: StreamFormat, rawBytes?: number): RawDisk {
  const close = async () => void src.destroy();
  if (format === 'raw') return { size: rawBytes, dataBytes: rawBytes, data: src, close };
  const decode = { gz: gunzip, xz, zst: zstd }[format];
  return { data: decode(src), close };
}

/** A raw file: its size is the disk's; blocks the filesystem never allocated (a sparse file) are zeros. */
async function openRaw(path: SourceFile, max: number, file: () => Readable): Promise<RawDisk> {
  const st = typeof path === 'string' ? await stat(path) : await path.stat();
  if (st.size > max) throw new Error(`raw image is ${bytesText(st.size)}, larger than the limit of ${bytesText(max)} (the image cache's maxImageBytes)`);
  return { size: st.size, dataBytes: Math.min(st.size, st.blocks * 512), data: lazy(file), close: async () => undefined };
}

/** Opens the source on the first read, so a disk refused before conversion leaves no open file. */
async function* lazy(open: () => Bytes): AsyncGenerator<Uint8Array> {
  yield* open();
}

async function* gunzip(src: Readable): AsyncGenerator<Uint8Array> {
  const z = createGunzip({ chunkSize: 256 * 1024 });
  src.on('error', (err) => z.destroy(err));
  try {
    yield* src.pipe(z);
  } finally {
    src.destroy();
  }
}

async function* xz(src: Readable): AsyncGenerator<Uint8Array> {
  const { XzReadableStream } = (await import('xz-decompress')) as unknown as { XzReadableStream: new (s: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array> };
  try {
    yield* new XzReadableStream(Readable.toWeb(src) as unknown as ReadableStream<Uint8Array>) as unknown as AsyncIterable<Uint8Array>;
  } finally {
    src.destroy();
  }
}

/** fzstd (pure JS): Node 20's zlib has no zstd, and the laptop may have no zstd program. */
async function* zstd(src: Bytes): AsyncGenerator<Uint8Array> {
  let out: Uint8Array[] = [];
  const d = new Decompress((chunk) => void (chunk.length && out.push(chunk)));
  for await (const c of src) {
    d.push(c);
    yield* out;
    out = [];
  }
  d.push(new Uint8Array(0), true);
  yield* out;
}

export interface ConvertResult {
  rawBytes: number;
  /** Hex digests of the raw disk, by algorithm (sha256 always). */
  rawDigests: Partial<Record<DigestAlgorithm, string>>;
  servedBytes: number;
}

/**
 * Why the served copy is gzip and not a sparse raw file: the laptop's one uplink is shared by
 * every machine being imaged, so bytes on the wire decide how fast a rack finishes. A cloud
 * disk is mostly zeros (Debian genericcloud: 3 GiB virtual, ~1 GiB data), which raw serving
 * sends in full to every machine; gzip sends them as almost nothing. The agent gunzips with
 * native zlib faster than a 1 GbE link delivers, so it never waits on decompression. The cost:
 * a dropped transfer resumes by re-reading the stream from the start (the agent skips what it
 * has written), where raw could resume with a Range request. zstd would decode faster still,
 * but Node 20 has no zstd encoder and the laptop may have no zstd program.
 *
 * Writes the raw disk as gzip to `outPath`, hashing the raw bytes on the way, and fsyncs it
 * so a rename after this cannot publish a file still in the page cache only. A raw disk longer
 * than `limits.maxRawBytes` fails; the caller removes `outPath`.
 */
export async function writeServedGzip(raw: Bytes, outPath: string, extraAlgorithm?: DigestAlgorithm, limits: RawDiskLimits = {}): Promise<ConvertResult> {
  const hashes: Array<[DigestAlgorithm, Hash]> = [['sha256', createHash('sha256')]];
  if (extraAlgorithm && extraAlgorithm !== 'sha256') hashes.push([extraAlgorithm, createHash(extraAlgorithm)]);
  const max = limits.maxRawBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  let rawBytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      rawBytes += chunk.length;
      // A compressed stream (gz, xz, zst) does not say its size up front: it is cut off here.
      if (rawBytes > max) return cb(new Error(`the raw disk grows past the limit of ${bytesText(max)} (the image cache's maxImageBytes)`));
      for (const [, h] of hashes) h.update(chunk);
      cb(null, chunk);
    },
  });
  await pipeline(Readable.from(raw, { objectMode: false }), tap, createGzip({ level: SERVED_GZIP_LEVEL, chunkSize: 256 * 1024 }), createWriteStream(outPath));
  const fh = await open(outPath, 'r+');
  try {
    await fh.sync();
    const servedBytes = (await fh.stat()).size;
    return { rawBytes, rawDigests: Object.fromEntries(hashes.map(([a, h]) => [a, h.digest('hex')])), servedBytes };
  } finally {
    await fh.close();
  }
}

export async function fileDigest(path: SourceFile, algorithm: DigestAlgorithm): Promise<string> {
  const h = createHash(algorithm);
  for await (const chunk of sourceStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}
