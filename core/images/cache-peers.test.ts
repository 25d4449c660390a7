import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternDisk, sha256, untilTrue } from '../testing/swarm-images.ts';
import { ImageCache } from './cache.ts';
import type { ImagePeers, PeerImage } from './peers.ts';

// ImageCache.copyFromPeer against a holder served on 127.0.0.1 and one that is gone (a closed port).
const disk = patternDisk('peer-copy', 32 << 10);
let server: Server;
let base: string;
let dir: string;
let asked = 0;

const holder = (instance: string, rawSha256 = sha256(disk)): PeerImage => ({ instance, source: 'cache:peer-copy', fileUrl: `${instance}/images/peer-copy.raw.gz`, rawSha256, rawBytes: disk.length });
const peersOf = (holders: PeerImage[]): ImagePeers => ({ self: () => 'http://127.0.0.1:1', holders: (key) => (key === 'peer-copy' ? holders : []), keys: () => ['peer-copy'] });
const newCache = async (holders: PeerImage[]) => {
  const cache = new ImageCache({ dir: await mkdtemp(join(dir, 'c-')), backoffMs: () => 10 });
  await cache.load();
  cache.usePeers(peersOf(holders));
  return cache;
};

describe('copying an image from another instance of the swarm', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'df-cache-peers-'));
    const body = gzipSync(disk);
    server = createServer((_req, res) => {
      asked++;
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('a gone holder is given up and the next one is asked; the copy is ready and listed as held here and there', async () => {
    const gone = await closedPortUrl();
    const cache = await newCache([holder(gone), holder(base)]);
    const spec = { url: 'cache:peer-copy' };
    expect(cache.copyFromPeer(spec)).toBe(gone);
    await untilTrue(() => cache.status(spec).state === 'failed');
    expect(cache.status(spec).error).toMatch(new RegExp(`the copy from instance ${gone} was refused`));
    expect(cache.copyFromPeer(spec)).toBe(base);
    await untilTrue(() => cache.readyFor(spec) !== undefined);
    expect(cache.readyFor(spec)?.rawSha256).toBe(sha256(disk));
    expect(cache.list()).toEqual([expect.objectContaining({ key: 'peer-copy', state: 'ready', heldBy: ['http://127.0.0.1:1', gone, base] })]);
    expect(cache.copyFromPeer(spec)).toBeUndefined(); // held now: nothing to copy
  });

  it("a holder whose digest is not the template's checksum is never asked; nor for a sha512 checksum", async () => {
    const before = asked;
    const cache = await newCache([holder(base, 'ab'.repeat(32))]);
    expect(cache.copyFromPeer({ url: 'cache:peer-copy', checksum: `sha256:${sha256(disk)}` })).toBeUndefined();
    const right = await newCache([holder(base)]);
    expect(right.copyFromPeer({ url: 'cache:peer-copy', checksum: `sha512:${'cd'.repeat(64)}` })).toBeUndefined();
    expect(asked).toBe(before);
  });

  it('ensure() of an imported image another instance holds copies it instead of refusing', async () => {
    const cache = await newCache([holder(base)]);
    const img = await cache.ensure({ url: 'cache:peer-copy' });
    expect(img).toMatchObject({ key: 'peer-copy', rawSha256: sha256(disk), rawBytes: disk.length });
  });
});

/** A loopback URL nobody listens on any more (an instance that died). */
async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}
