import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { rawDiskFromTar } from './archive.ts';
import type { DigestAlgorithm, SourceFormat } from './image-spec.ts';
import { openQcow2 } from './qcow2.ts';

type Bytes = AsyncIterable<Uint8Array>;

/**
 * gzip level of the served copy. 6 (zlib's default) is within a few percent of 9 in size at
 * about twice the speed; the conversion runs once per image, the transfer once per machine.
 */
export const SERVED_GZIP_LEVEL = 6;

/** The raw disk inside a file of the given format, as a stream; nothing is gathered whole. */
export async function rawDiskStream(path: string, format: SourceFormat): Promise<Bytes> {
  const file = () => createReadStream(path, { highWaterMark: 1 << 20 });
  switch (format) {
    case 'raw':
      return file();
    case 'gz':
      return file().pipe(createGunzip({ chunkSize: 256 * 1024 }));
    case 'xz':
      return xz(file());
    case 'zst':
      return zstd(file());
    case 'qcow2':
      return (await openQcow2(path)).createReadStream();
    case 'tar':
    case 'tar.gz':
    case 'tar.xz':
      return (await rawDiskFromTar(file(), format === 'tar' ? 'none' : format === 'tar.gz' ? 'gz' : 'xz')).data;
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
 * so a rename after this cannot publish a file still in the page cache only.
 */
export async function writeServedGzip(raw: Bytes, outPath: string, extraAlgorithm?: DigestAlgorithm): Promise<ConvertResult> {
  const hashes: Array<[DigestAlgorithm, Hash]> = [['sha256', createHash('sha256')]];
  if (extraAlgorithm && extraAlgorithm !== 'sha256') hashes.push([extraAlgorithm, createHash(extraAlgorithm)]);
  let rawBytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      rawBytes += chunk.length;
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

export async function fileDigest(path: string, algorithm: DigestAlgorithm): Promise<string> {
  const h = createHash(algorithm);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}
