import { randomBytes, createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeManifest, ManifestStore, manifestPath, rawChunks } from './manifest.ts';

let dir: string;
const raw = randomBytes(10 * 1024 + 17);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-manifest-'));
  await writeFile(join(dir, 'disk.raw'), raw);
  await writeFile(join(dir, 'disk.raw.gz'), gzipSync(raw));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of it) parts.push(b);
  return Buffer.concat(parts);
}

describe('chunk manifest', () => {
  it.each(['disk.raw', 'disk.raw.gz'])('digests each fixed-size chunk of the raw disk of %s, the last one short', async (f) => {
    const m = await computeManifest(join(dir, f), f, 4096);
    expect(m.rawBytes).toBe(raw.length);
    expect(m.sha256).toHaveLength(3);
    expect(m.sha256[0]).toBe(sha(raw.subarray(0, 4096)));
    expect(m.sha256[2]).toBe(sha(raw.subarray(8192)));
  });

  it.each(['disk.raw', 'disk.raw.gz'])('serves any run of chunks of %s as raw bytes', async (f) => {
    const m = await computeManifest(join(dir, f), f, 4096);
    expect(await collect(rawChunks(join(dir, f), m, 1, 1))).toEqual(raw.subarray(4096, 8192));
    expect(await collect(rawChunks(join(dir, f), m, 1, 2))).toEqual(raw.subarray(4096));
    await expect(collect(rawChunks(join(dir, f), m, 2, 3))).rejects.toThrow(/chunks 2-3 are not within 0-2/);
  });

  it('is computed once and kept beside the image, hidden', async () => {
    const store = new ManifestStore(4096);
    const m = await store.get(join(dir, 'disk.raw.gz'), 'disk.raw.gz');
    expect(JSON.parse(await readFile(manifestPath(join(dir, 'disk.raw.gz')), 'utf8'))).toEqual(m);
    expect(manifestPath('/x/disk.raw.gz')).toBe('/x/.disk.raw.gz.chunks');
    const other = await new ManifestStore(2048).get(join(dir, 'disk.raw.gz'), 'disk.raw.gz');
    expect(other.sha256).toHaveLength(6);
  });

  it('refuses xz and zst files', async () => {
    await expect(computeManifest(join(dir, 'x.raw.xz'), 'x', 4096)).rejects.toThrow(/raw and gzip/);
  });
});
