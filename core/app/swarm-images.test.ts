import { createServer, type Server } from 'node:http';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPeers } from '../testing/peers.ts';
import { cacheTemplate, enrolAndAssign, importImage, patternDisk, rowOf, sha256, untilTrue, workflowThrough } from '../testing/swarm-images.ts';
import type { ControlPlane } from './control-plane.ts';
import { TestSwarm } from '../testing/test-swarm.ts';
import type { SwarmIdentity } from './swarm-identity.ts';

// Images follow the machines (issue 18): three real control planes (HTTP on 127.0.0.1, DHCP and
// TFTP off) on one real etcd on loopback; copies between them go over loopback HTTP.
const swarm = new TestSwarm('df-swarm-img-');


describeWithPeers(['etcd'], 'swarm mode: images follow the machines', () => {
  let a: ControlPlane;
  let b: ControlPlane;
  let c: ControlPlane;
  beforeAll(async () => {
    ({ a, b, c } = await swarm.start());
  }, 120_000);
  afterAll(() => swarm.stop());

  it('an image imported on A is copied by C from the swarm (digest checked) and the workflow through C reads C\'s own copy', async () => {
    const disk = patternDisk('tiny');
    await importImage(a, 'tiny', disk);
    await untilTrue(async () => (await rowOf(b, 'tiny'))?.heldBy?.join() === a.url);
    expect(await rowOf(b, 'tiny')).toMatchObject({ state: 'absent', heldBy: [a.url] });
    expect(await rowOf(a, 'tiny')).toMatchObject({ state: 'ready', heldBy: [a.url] });

    await cacheTemplate(b, 'tiny-os', 'tiny');
    const run = await enrolAndAssign(c, b, '52:54:00:5b:00:01', 'tiny-os');
    const first = await workflowThrough(c, run);
    expect(first.statusCode).toBe(503);
    expect(first.body).toMatch(new RegExp(`image cache:tiny is not in this instance's image cache yet: it is being fetched from instance (${a.url}|${b.url})`));

    let wf = first;
    await untilTrue(async () => (wf = await workflowThrough(c, run)).statusCode !== 503, 20_000);
    expect(wf.statusCode, wf.body).toBe(200);
    const image = (wf.json() as { actions: Array<{ image?: { url: string; checksum: string } }> }).actions[0].image!;
    expect(image).toEqual({ url: `${c.url}/images/tiny.raw.gz`, format: 'gz', checksum: `sha256:${sha256(disk)}` });
    const served = await fetch(image.url);
    expect(served.status).toBe(200);
    expect(sha256(gunzipSync(Buffer.from(await served.arrayBuffer())))).toBe(sha256(disk));
    // B copied it when the template was assigned through it; every instance now lists all three
    await untilTrue(async () => (await rowOf(a, 'tiny'))?.heldBy?.length === 3);
    expect([...(await rowOf(a, 'tiny'))!.heldBy!].sort()).toEqual([a.url, b.url, c.url].sort());
  }, 60_000);

  it('a copy whose bytes do not match the digest the holder published is refused and named; nothing is kept', async () => {
    const good = patternDisk('ghost');
    const bad = gzipSync(patternDisk('not-ghost'));
    let asked = 0;
    const fake: Server = createServer((_req, res) => {
      asked++;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bad.length }).end(bad);
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const fakeBase = `http://127.0.0.1:${(fake.address() as { port: number }).port}`;
    try {
      const entry = { instance: fakeBase, source: 'cache:ghost', fileUrl: `${fakeBase}/images/ghost.raw.gz`, rawSha256: sha256(good), rawBytes: good.length };
      await (a.swarm as SwarmIdentity).kv.put('images/ghost/fake-instance', JSON.stringify(entry));
      await untilTrue(async () => (await rowOf(c, 'ghost'))?.heldBy?.join() === fakeBase);
      await cacheTemplate(c, 'ghost-os', 'ghost');
      const run = await enrolAndAssign(c, c, '52:54:00:5b:00:02', 'ghost-os');
      let wf = await workflowThrough(c, run);
      await untilTrue(async () => /refused/.test((wf = await workflowThrough(c, run)).body), 20_000);
      expect(wf.statusCode).toBe(503);
      expect(wf.body).toMatch(new RegExp(`the copy from instance ${fakeBase} was refused: .*sha256 is [0-9a-f]{64}, but instance ${fakeBase} published ${sha256(good)}`));
      expect(asked).toBeGreaterThan(0);
      expect(await rowOf(c, 'ghost')).toMatchObject({ state: 'failed', heldBy: [fakeBase] });
      expect((await readdir(join(swarm.dirs[2], 'images'))).filter((f) => f.startsWith('ghost'))).toEqual([]);
      // not retried on every poll: the refusal stays visible
      const before = asked;
      expect((await workflowThrough(c, run)).body).toMatch(/refused/);
      expect(asked).toBe(before);
    } finally {
      await new Promise((r) => fake.close(r));
      await (a.swarm as SwarmIdentity).kv.delete('images/ghost/fake-instance');
    }
  }, 60_000);

  it('an instance that stops withdraws its images from the swarm at once', async () => {
    await importImage(b, 'leaving', patternDisk('leaving'));
    await untilTrue(async () => (await rowOf(c, 'leaving'))?.heldBy?.join() === b.url);
    await b.close();
    await untilTrue(async () => (await rowOf(c, 'leaving')) === undefined, 5000);
  }, 30_000);
});
