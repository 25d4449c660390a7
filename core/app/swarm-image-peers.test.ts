import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheTemplate, enrolAndAssign, importImage, patternDisk, rowOf, sha256, untilTrue, workflowThrough } from '../testing/swarm-images.ts';
import { TestSwarm } from '../testing/test-swarm.ts';
import type { ControlPlane } from './control-plane.ts';
import { parseConfigStrings, stringsFromEnv } from './config.ts';

// `--image-peers copy|redirect` (issue 18): what an instance answers a machine that needs an image
// only another instance holds. Three control planes on loopback sharing the Kubernetes test server
// (the image logic is the same over etcd; swarm-images.test.ts runs copy there).
type ImageRef = { url: string; format: string; checksum: string };
const imageOf = (body: string) => (JSON.parse(body) as { actions: Array<{ image?: ImageRef }> }).actions[0].image!;

/** What a machine reads from `url`: the raw disk's sha256. */
async function servedSha(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return sha256(gunzipSync(Buffer.from(await res.arrayBuffer())));
}

describe('--image-peers redirect: the machine is sent to the instance holding the image; nothing is copied', () => {
  const swarm = new TestSwarm('df-peers-redirect-', 'kubernetes', { imagePeers: 'redirect' });
  let a: ControlPlane;
  let c: ControlPlane;
  beforeAll(async () => {
    ({ a, c } = await swarm.start());
  }, 120_000);
  afterAll(() => swarm.stop());

  it('the workflow through C names A\'s URL at once, with the digest A published; C keeps no copy', async () => {
    const disk = patternDisk('redir');
    await importImage(a, 'redir', disk);
    await untilTrue(async () => (await rowOf(c, 'redir'))?.heldBy?.join() === a.url);
    await cacheTemplate(c, 'redir-os', 'redir');
    const run = await enrolAndAssign(c, c, '52:54:00:5d:00:01', 'redir-os');
    const wf = await workflowThrough(c, run);
    expect(wf.statusCode, wf.body).toBe(200);
    expect(imageOf(wf.body)).toEqual({ url: `${a.url}/images/redir.raw.gz`, format: 'gz', checksum: `sha256:${sha256(disk)}` });
    expect(await servedSha(imageOf(wf.body).url)).toBe(sha256(disk));
    await new Promise((r) => setTimeout(r, 500)); // a copy, had one started on assignment, would be under way by now
    expect(await rowOf(c, 'redir')).toMatchObject({ state: 'absent', heldBy: [a.url] });
    expect((await readdir(join(swarm.dirs[2], 'images'))).filter((f) => f.startsWith('redir'))).toEqual([]);
  }, 60_000);
});

describe('--image-peers copy: the instance copies the image first, then hands out its own URL', () => {
  const swarm = new TestSwarm('df-peers-copy-', 'kubernetes', { imagePeers: 'copy' });
  let a: ControlPlane;
  let c: ControlPlane;
  beforeAll(async () => {
    ({ a, c } = await swarm.start());
  }, 120_000);
  afterAll(() => swarm.stop());

  it('the workflow through C is a 503 naming A, then C\'s own URL; C holds a copy', async () => {
    const disk = patternDisk('copied');
    await importImage(a, 'copied', disk);
    await untilTrue(async () => (await rowOf(c, 'copied'))?.heldBy?.join() === a.url);
    await cacheTemplate(c, 'copied-os', 'copied');
    const run = await enrolAndAssign(c, c, '52:54:00:5d:00:02', 'copied-os');
    let wf = await workflowThrough(c, run);
    if (wf.statusCode === 503) expect(wf.body).toContain(`being fetched from instance ${a.url}`);
    await untilTrue(async () => (wf = await workflowThrough(c, run)).statusCode !== 503, 20_000);
    expect(wf.statusCode, wf.body).toBe(200);
    expect(imageOf(wf.body)).toEqual({ url: `${c.url}/images/copied.raw.gz`, format: 'gz', checksum: `sha256:${sha256(disk)}` });
    expect(await servedSha(imageOf(wf.body).url)).toBe(sha256(disk));
    await untilTrue(async () => (await rowOf(c, 'copied'))?.heldBy?.length === 2);
  }, 60_000);
});

describe('--image-peers setting', () => {
  it('is read from the flag or DRAGONFLY_IMAGE_PEERS; another word is refused naming the choices', () => {
    expect(parseConfigStrings(stringsFromEnv({ DRAGONFLY_IMAGE_PEERS: 'redirect' })).imagePeers).toBe('redirect');
    expect(() => parseConfigStrings({ imagePeers: 'mirror' })).toThrow('--image-peers "mirror" is not one of copy, redirect');
  });
});
