import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { invalid } from '../shared/errors.ts';
import { cutBytes } from '../shared/cut-bytes.ts';

/** The chunk table of one served image (core/contract/fanout.ts FanoutManifest, restated: images may not import the contract). */
export interface ChunkManifest {
  image: string;
  chunkBytes: number;
  rawBytes: number;
  sha256: string[];
}

/** Where the manifest of a served file is kept: beside it, hidden, so it is neither served nor read as a cache record. */
export function manifestPath(servedFile: string): string {
  return join(dirname(servedFile), `.${basename(servedFile)}.chunks`);
}

/** The raw disk bytes of a served file: gunzipped for .gz, as they are otherwise; xz and zst are refused. */
function rawStream(servedFile: string, start = 0): AsyncIterable<Buffer> {
  if (/\.(xz|zst)$/.test(servedFile)) throw invalid(`fan-out serves raw and gzip images; ${basename(servedFile)} is neither`);
  if (servedFile.endsWith('.gz')) return gunzipped(servedFile);
  return createReadStream(servedFile, { start, highWaterMark: 1 << 20 });
}

/** Both streams are destroyed when the reader stops early (a seed request for the first chunks only). */
async function* gunzipped(servedFile: string): AsyncGenerator<Buffer> {
  const file = createReadStream(servedFile, { highWaterMark: 1 << 20 });
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  file.on('error', (e) => gunzip.destroy(e));
  try {
    yield* file.pipe(gunzip) as AsyncIterable<Buffer>;
  } finally {
    file.destroy();
    gunzip.destroy();
  }
}

/** Reads the whole raw disk once and digests every chunk. */
export async function computeManifest(servedFile: string, image: string, chunkBytes: number): Promise<ChunkManifest> {
  const sha256: string[] = [];
  let rawBytes = 0;
  for await (const c of cutBytes(rawStream(servedFile), () => chunkBytes, true)) {
    sha256.push(createHash('sha256').update(c).digest('hex'));
    rawBytes += c.length;
  }
  return { image, chunkBytes, rawBytes, sha256 };
}

/**
 * The manifest of a served file, computed once and kept beside it; recomputed when the kept one
 * is for another chunk size or is unreadable. Concurrent first calls share the work.
 */
export class ManifestStore {
  private readonly inflight = new Map<string, Promise<ChunkManifest>>();

  constructor(private readonly chunkBytes: number) {}

  get(servedFile: string, image: string): Promise<ChunkManifest> {
    let p = this.inflight.get(servedFile);
    if (!p) {
      p = this.load(servedFile, image).finally(() => this.inflight.delete(servedFile));
      this.inflight.set(servedFile, p);
    }
    return p;
  }

  private async load(servedFile: string, image: string): Promise<ChunkManifest> {
    const kept = await readFile(manifestPath(servedFile), 'utf8')
      .then((t) => JSON.parse(t) as ChunkManifest)
      .catch(() => undefined);
    if (kept && kept.chunkBytes === this.chunkBytes && kept.image === image && Array.isArray(kept.sha256)) return kept;
    const m = await computeManifest(servedFile, image, this.chunkBytes);
    const tmp = `${manifestPath(servedFile)}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(m));
    await rename(tmp, manifestPath(servedFile));
    return m;
  }
}

/**
 * Raw bytes of chunks from..to (inclusive) of a served file: the control plane as seed of last
 * resort. A gzip file is decoded from its start (gzip has no index), so the tracker asks for runs
 * of chunks rather than single ones; see docs/FANOUT.md.
 */
export async function* rawChunks(servedFile: string, m: ChunkManifest, from: number, to: number): AsyncGenerator<Buffer> {
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from || to >= m.sha256.length) {
    throw invalid(`chunks ${from}-${to} are not within 0-${m.sha256.length - 1} of ${m.image}`);
  }
  const start = from * m.chunkBytes;
  const end = Math.min(m.rawBytes, (to + 1) * m.chunkBytes);
  const gz = servedFile.endsWith('.gz');
  let pos = gz ? 0 : start;
  for await (const b of rawStream(servedFile, start)) {
    const lo = Math.max(0, start - pos);
    const hi = Math.min(b.length, end - pos);
    pos += b.length;
    if (hi > lo) yield b.subarray(lo, hi);
    if (pos >= end) return;
  }
}
