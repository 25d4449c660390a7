import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SharedKv } from '../shared/shared-kv.ts';
import { startEtcd, type EtcdProcess } from '../store/etcd/etcd-process.ts';
import { openEtcdKv } from '../swarm/etcd-kv.ts';
import { describeWithPeers } from '../testing/peers.ts';
import { patternDisk, sha256, untilTrue } from '../testing/swarm-images.ts';
import { ImageCache } from './cache.ts';
import { parsePeerImage, SwarmImages } from './swarm-images.ts';

// What one instance publishes about its images in a real etcd on loopback, and how it goes away.
let etcd: EtcdProcess;
let dir: string;
const kvs: SharedKv[] = [];
const openKv = async () => {
  const kv = await openEtcdKv({ endpoints: [etcd.endpoint] });
  kvs.push(kv);
  return kv;
};

async function cacheWith(name: string): Promise<{ cache: ImageCache; disk: Buffer }> {
  const cache = new ImageCache({ dir: await mkdtemp(join(dir, 'images-')) });
  await cache.load();
  const disk = patternDisk(name, 64 << 10);
  const file = join(dir, `${name}.raw`);
  await writeFile(file, disk);
  await cache.importFile(file, { name, format: 'raw' });
  return { cache, disk };
}

const entries = async (kv: SharedKv, key: string) => (await kv.list(`images/${key}/`)).map((e) => JSON.parse(e.value) as unknown);

describeWithPeers(['etcd'], 'swarm images in the shared KV', () => {
  beforeAll(async () => {
    etcd = await startEtcd();
    dir = await mkdtemp(join(tmpdir(), 'df-swarm-images-'));
  }, 60_000);
  afterAll(async () => {
    for (const kv of kvs) await kv.close().catch(() => {});
    await etcd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('publishes each ready image with where to fetch it and its raw digest; the others see it, not itself', async () => {
    const { cache, disk } = await cacheWith('pub');
    const shared = await SwarmImages.start({ kv: await openKv(), cache, self: () => 'http://127.0.0.1:9001', fileUrl: (f) => `http://127.0.0.1:9001/images/${f}` });
    const other = await SwarmImages.start({ kv: await openKv(), cache: new ImageCache({ dir: await mkdtemp(join(dir, 'other-')) }), self: () => 'http://127.0.0.1:9002', fileUrl: (f) => f });
    try {
      const want = { instance: 'http://127.0.0.1:9001', source: 'cache:pub', fileUrl: 'http://127.0.0.1:9001/images/pub.raw.gz', rawSha256: sha256(disk), rawBytes: disk.length };
      expect(await entries(kvs[0], 'pub')).toEqual([want]);
      await untilTrue(() => other.holders('pub').length === 1);
      expect(other.holders('pub')).toEqual([want]);
      expect(other.keys()).toEqual(['pub']);
      expect(shared.holders('pub')).toEqual([]); // its own copy is not a peer
      await cache.remove('pub');
      await untilTrue(() => other.holders('pub').length === 0);
      expect(await entries(kvs[0], 'pub')).toEqual([]);
    } finally {
      await shared.stop();
      await other.stop();
    }
  });

  it('the entries of an instance that dies without stopping go away with their TTL', async () => {
    const { cache } = await cacheWith('dies');
    const kv = await openKv();
    await SwarmImages.start({ kv, cache, self: () => 'http://127.0.0.1:9003', fileUrl: (f) => f, ttlSeconds: 2 });
    expect(await entries(kvs[0], 'dies')).toHaveLength(1);
    await kv.close(); // as if killed: no refresh, no withdrawal
    const t0 = Date.now();
    await untilTrue(async () => (await entries(kvs[0], 'dies')).length === 0, 15_000);
    expect(Date.now() - t0).toBeLessThan(10_000);
  }, 30_000);

  it('an entry that is not one (hand-written, another version) is ignored, never a holder', () => {
    expect(parsePeerImage('not json')).toBeUndefined();
    expect(parsePeerImage(JSON.stringify({ instance: 'x', source: 'cache:a', fileUrl: 'http://h/f', rawSha256: 'zz', rawBytes: 1 }))).toBeUndefined();
    expect(parsePeerImage(JSON.stringify({ instance: 'x', source: 'cache:a', fileUrl: 'http://h/f', rawSha256: 'a'.repeat(64) }))).toBeUndefined();
    expect(parsePeerImage(JSON.stringify({ instance: 'x', source: 'cache:a', fileUrl: 'http://h/f', rawSha256: 'a'.repeat(64), rawBytes: 1 }))).toMatchObject({ instance: 'x' });
  });
});
