import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleFacts } from '../../core/testing/api-harness.ts';
import { createFanoutHarness } from '../../core/testing/fanout-harness.ts';
import { nodeHttpGet } from '../actions/http-get.ts';
import { FanoutClient } from './client.ts';
import { fanoutWriteImage, type FanoutResult } from './swarm.ts';
import { servedFileOf, writeImageByFanout } from './image2disk-fanout.ts';

/**
 * The real API on 127.0.0.1 (tracker, manifests, seed), agents in this process each with its own
 * peer server on 127.0.0.1 and its own temp file as the disk.
 */
const CHUNK = 64 * 1024;
const image = randomBytes(40 * CHUNK + 1234);
const checksum = `sha256:${createHash('sha256').update(image).digest('hex')}`;
const FILE = 'rack.raw.gz';

let h: Awaited<ReturnType<typeof createFanoutHarness>> | undefined;
let fanoutOn = true;
afterEach(async () => {
  await h?.close();
  h = undefined;
  fanoutOn = true;
});

async function controlPlane(): Promise<{ url: string; sentBytes: () => number }> {
  h = await createFanoutHarness(CHUNK, () => fanoutOn);
  await mkdir(join(h.dataDir, 'images'), { recursive: true });
  await writeFile(join(h.dataDir, 'images', FILE), gzipSync(image));
  let sent = 0;
  h.app.addHook('onSend', async (req, _reply, payload) => {
    if (req.url.includes('/chunks/')) sent += Number(_reply.getHeader('content-length') ?? 0);
    return payload;
  });
  const address = await h.app.listen({ host: '127.0.0.1', port: 0 });
  return { url: address, sentBytes: () => sent };
}

async function machine(n: number): Promise<{ name: string; client: FanoutClient; disk: string; token: string }> {
  const mac = `52:54:00:00:15:${n.toString(16).padStart(2, '0')}`;
  const hw = await h!.registrar.register(mac, sampleFacts([mac]));
  const disk = join(h!.dataDir, `disk-${n}`);
  await writeFile(disk, Buffer.alloc(0));
  const url = `http://127.0.0.1:${(h!.app.server.address() as AddressInfo).port}`;
  const token = h!.auth.issueAgentToken(mac);
  return { name: hw.metadata.name, client: new FanoutClient(url, token), disk, token };
}

async function image2disk(m: { client: FanoutClient; disk: string }, lingerMs = 2000): Promise<FanoutResult> {
  const manifest = await m.client.manifest(FILE);
  if (typeof manifest === 'string') throw new Error(manifest);
  return fanoutWriteImage({ manifest, checksum, target: m.disk, tracker: m.client, seed: m.client.seed(FILE), httpGet: nodeHttpGet(5000), peerHost: '127.0.0.1', lingerMs });
}

/** A peer that claims every chunk and answers each with random bytes of the right length. */
async function liar(m: { client: FanoutClient }, chunks: number): Promise<{ asked: () => number; close: () => void }> {
  let asked = 0;
  const server = http.createServer((_req, res) => {
    asked++;
    res.end(randomBytes(CHUNK));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await m.client.sources({ image: FILE, peerPort: port, have: Array.from({ length: chunks }, (_, i) => i), want: [] });
  return { asked: () => asked, close: () => server.close() };
}

describe('rack fan-out over loopback', () => {
  it('a lone agent takes every chunk from the control plane and writes the exact image', async () => {
    const cp = await controlPlane();
    const a = await machine(1);
    const r = await image2disk(a, 0);
    expect(await digestOfFile(a.disk)).toBe(checksum);
    expect(r).toMatchObject({ bytes: image.length, bytesFromServer: image.length, bytesFromPeers: 0 });
    expect(cp.sentBytes()).toBe(image.length);
  });

  it('the control plane tells the tracker the image\'s size when it serves the manifest, and each run it finished sending (so that lease holds)', async () => {
    await controlPlane();
    const a = await machine(1);
    const tracker = h!.tracker;
    const sizes: Array<[string, number]> = [];
    const runs: Array<[string, number, number]> = [];
    const describe0 = tracker.describe.bind(tracker);
    const delivered0 = tracker.delivered.bind(tracker);
    tracker.describe = (img, n) => (sizes.push([img, n]), describe0(img, n));
    tracker.delivered = (img, agent, from, to) => (runs.push([agent, from, to]), delivered0(img, agent, from, to));
    await image2disk(a, 0);
    const chunks = Math.ceil(image.length / CHUNK);
    expect(sizes).toEqual([[FILE, chunks]]);
    const sent = runs.flatMap(([, from, to]) => Array.from({ length: to - from + 1 }, (_, i) => from + i)).sort((x, y) => x - y);
    expect(sent).toEqual(Array.from({ length: chunks }, (_, i) => i));
    expect(new Set(runs.map(([agent]) => agent))).toEqual(new Set([a.name]));
    expect(tracker.stats(FILE)).toMatchObject({ serverSends: chunks, resent: [] });
  });

  it('with a lying peer and a vanished one among them, every disk is still exactly the image, the liar is reported and dropped, and the control plane sends under 1.5x the image', async () => {
    const cp = await controlPlane();
    const dropped: Array<{ title: string; machine: string }> = [];
    h!.workflows.on('notification', (n) => dropped.push(n));
    const [bad, ghost, ...honest] = await Promise.all([0, 1, 2, 3, 4, 5].map((n) => machine(n)));
    const lie = await liar(bad, 41);
    // a peer that announces everything and is gone before anyone asks
    await ghost.client.sources({ image: FILE, peerPort: await closedPort(), have: [0, 1, 2, 3], want: [] });
    const results = await Promise.all(honest.map((m) => image2disk(m)));
    for (const m of honest) expect(await digestOfFile(m.disk)).toBe(checksum);
    expect(lie.asked()).toBeGreaterThan(0);
    expect(dropped.map((n) => n.machine).sort()).toEqual([bad.name, ghost.name].sort());
    expect(dropped.find((n) => n.machine === bad.name)?.title).toBe(`${bad.name} dropped from the image swarm`);
    expect(results.flatMap((r) => r.dropped.map((d) => `${d.peer} ${d.problem}`))).toContain(`${bad.name} corrupt`);
    const fromServer = results.reduce((s, r) => s + r.bytesFromServer, 0);
    expect(fromServer).toBe(cp.sentBytes());
    expect(fromServer).toBeLessThanOrEqual(1.5 * image.length);
    expect(results.reduce((s, r) => s + r.bytesFromPeers, 0)).toBeGreaterThanOrEqual(honest.length * image.length - 1.5 * image.length);
    lie.close();
  });

  it('a tracker that fails a few times (a busy control plane) is asked again, not bypassed: the control plane still sends each chunk once', async () => {
    const cp = await controlPlane();
    const [a, b] = await Promise.all([1, 2].map((n) => machine(n)));
    const manifest = await a.client.manifest(FILE);
    if (typeof manifest === 'string') throw new Error(manifest);
    let calls = 0; // b's calls 2-4 time out: b is known to the tracker (so a serves on), then its tracker is busy
    const flaky = {
      sources: (r: Parameters<FanoutClient['sources']>[0]) => (++calls >= 2 && calls <= 4 ? Promise.reject(new DOMException('timed out', 'TimeoutError')) : b.client.sources(r)),
      report: (r: Parameters<FanoutClient['report']>[0]) => b.client.report(r),
    };
    const write = (m: typeof a, tracker: typeof flaky) =>
      fanoutWriteImage({ manifest, checksum, target: m.disk, tracker, seed: m.client.seed(FILE), httpGet: nodeHttpGet(5000), peerHost: '127.0.0.1', lingerMs: 10_000, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 100))) });
    const [, rb] = await Promise.all([write(a, a.client), write(b, flaky)]);
    for (const m of [a, b]) expect(await digestOfFile(m.disk)).toBe(checksum);
    expect(cp.sentBytes()).toBe(image.length);
    expect(rb.failures['tracker TimeoutError']).toBe(3);
  });

  it('an agent with nothing to do waits what the tracker says (the tracker grows it with the swarm), and at its old pace again once a plan brings chunks', async () => {
    await controlPlane();
    const a = await machine(1);
    const manifest = await a.client.manifest(FILE);
    if (typeof manifest === 'string') throw new Error(manifest);
    let calls = 0; // calls 1-5 and 7-8 find every chunk on its way to someone else (what the agent wrote is still announced)
    const hints = [250, 1000, 5000, 5000, 3000, 0, 250, 400];
    const busy = {
      sources: async (r: Parameters<FanoutClient['sources']>[0]) => {
        if (!(++calls <= 5 || calls === 7 || calls === 8)) return a.client.sources(r);
        await a.client.sources({ ...r, want: [] });
        return { plan: [], wanting: 1, retryMs: hints[calls - 1] };
      },
      report: (r: Parameters<FanoutClient['report']>[0]) => a.client.report(r),
    };
    const waits: number[] = [];
    const sleep = (ms: number) => (waits.push(ms), new Promise<void>((r) => setTimeout(r, Math.min(ms, 5))));
    await fanoutWriteImage({ manifest, checksum, target: a.disk, tracker: busy, seed: a.client.seed(FILE), httpGet: nodeHttpGet(5000), peerHost: '127.0.0.1', lingerMs: 0, sleep, workers: 1 });
    expect(await digestOfFile(a.disk)).toBe(checksum);
    expect(waits.filter((ms) => ms >= 250)).toEqual([250, 1000, 5000, 5000, 3000, 250, 400]);
  });

  it('an idle agent waits once for all its workers: with 3 workers, no tracker call while one of them waits out the tracker\'s hint', async () => {
    await controlPlane();
    const a = await machine(1);
    const manifest = await a.client.manifest(FILE);
    if (typeof manifest === 'string') throw new Error(manifest);
    let calls = 0; // the first 6 calls find every chunk on its way to someone else
    let waiting = 0; // idle waits under way
    let callsDuringWaits = 0;
    const busy = {
      sources: async (r: Parameters<FanoutClient['sources']>[0]) => {
        if (r.want.length === 0) return a.client.sources(r);
        if (waiting > 0) callsDuringWaits++;
        if (++calls > 6) return a.client.sources(r);
        await a.client.sources({ ...r, want: [] });
        return { plan: [], wanting: 1, retryMs: 300 };
      },
      report: (r: Parameters<FanoutClient['report']>[0]) => a.client.report(r),
    };
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
      if (ms !== 300) return new Promise<void>((r) => setTimeout(r, Math.min(ms, 5)));
      waiting++;
      await new Promise<void>((r) => setTimeout(r, 30)); // long enough for the other workers to ask, if they would
      waiting--;
    };
    await fanoutWriteImage({ manifest, checksum, target: a.disk, tracker: busy, seed: a.client.seed(FILE), httpGet: nodeHttpGet(5000), peerHost: '127.0.0.1', lingerMs: 0, sleep, workers: 3 });
    expect(await digestOfFile(a.disk)).toBe(checksum);
    // One wait per fruitless call, and no call during a wait. (Each worker backing off on its own
    // called while the others waited: three calls per wait, 300 calls a second from 200 idle agents.)
    expect(callsDuringWaits).toBe(0);
    expect(waits.filter((ms) => ms === 300)).toHaveLength(6);
  });

  it('workers with no chunk left to ask for wait for the others instead of polling (no 50 ms wake-ups), and the disk is still exact', async () => {
    await controlPlane();
    const a = await machine(1);
    const manifest = await a.client.manifest(FILE);
    if (typeof manifest === 'string') throw new Error(manifest);
    const waits: number[] = [];
    const sleep = (ms: number) => (waits.push(ms), new Promise<void>((r) => setTimeout(r, Math.min(ms, 5))));
    // 41 chunks, one worker asks for all of them: the other two have nothing to ask for until it is done
    await fanoutWriteImage({ manifest, checksum, target: a.disk, tracker: a.client, seed: a.client.seed(FILE), httpGet: nodeHttpGet(5000), peerHost: '127.0.0.1', lingerMs: 0, sleep, workers: 3 });
    expect(await digestOfFile(a.disk)).toBe(checksum);
    expect(waits.filter((ms) => ms < 250)).toEqual([]);
  });

  it('an agent lingering to serve others asks whether anyone still wants chunks less and less often (500 ms, doubling to 2 s)', async () => {
    await controlPlane();
    const a = await machine(1);
    const manifest = await a.client.manifest(FILE);
    if (typeof manifest === 'string') throw new Error(manifest);
    let lingering = 0; // after the image is written, the tracker says someone still wants chunks four times
    const others = {
      sources: async (r: Parameters<FanoutClient['sources']>[0]) => {
        const reply = await a.client.sources(r);
        return r.want.length === 0 && !r.leaving && ++lingering <= 4 ? { ...reply, wanting: 1 } : reply;
      },
      report: (r: Parameters<FanoutClient['report']>[0]) => a.client.report(r),
    };
    const waits: number[] = [];
    const sleep = (ms: number) => (waits.push(ms), new Promise<void>((r) => setTimeout(r, Math.min(ms, 5))));
    await fanoutWriteImage({ manifest, checksum, target: a.disk, tracker: others, seed: a.client.seed(FILE), httpGet: nodeHttpGet(5000), peerHost: '127.0.0.1', lingerMs: 60_000, sleep, workers: 1 });
    expect(waits.filter((ms) => ms >= 500)).toEqual([500, 1000, 2000, 2000]);
  });

  it('a lingering agent whose tracker call fails announces its last chunks on the next call, instead of leaving with them unannounced', async () => {
    await controlPlane();
    const a = await machine(1);
    const manifest = await a.client.manifest(FILE);
    if (typeof manifest === 'string') throw new Error(manifest);
    const announced = new Set<number>();
    let lingerCalls = 0;
    const flaky = {
      sources: async (r: Parameters<FanoutClient['sources']>[0]) => {
        if (r.want.length === 0 && !r.leaving && ++lingerCalls === 1) throw new Error('tracker timed out');
        const reply = await a.client.sources(r);
        r.have.forEach((c) => announced.add(c));
        return reply;
      },
      report: (r: Parameters<FanoutClient['report']>[0]) => a.client.report(r),
    };
    const sleep = () => new Promise<void>((r) => setTimeout(r, 1));
    await fanoutWriteImage({ manifest, checksum, target: a.disk, tracker: flaky, seed: a.client.seed(FILE), httpGet: nodeHttpGet(5000), peerHost: '127.0.0.1', lingerMs: 60_000, sleep, workers: 1 });
    expect(lingerCalls).toBe(2);
    expect(announced.size).toBe(manifest.sha256.length);
  });

  it('fan-out switched off: the manifest is refused, naming the setting, so the agent downloads as before', async () => {
    await controlPlane();
    fanoutOn = false;
    const a = await machine(1);
    expect(await a.client.manifest(FILE)).toMatch(/^HTTP 409: .*fan-out is off in the network settings/);
  });
});

/** (toEqual on megabyte buffers is slow enough to time a test out) */
async function digestOfFile(path: string): Promise<string> {
  return `sha256:${createHash('sha256').update(await readFile(path)).digest('hex')}`;
}

describe('image2disk through the swarm', () => {
  it('takes only images of this control plane\'s /images', () => {
    expect(servedFileOf('http://10.0.0.1:8080/images/a%20b.raw.gz', 'http://10.0.0.1:8080/')).toBe('a b.raw.gz');
    expect(servedFileOf('http://10.0.0.1:8080/images/x/y.raw', 'http://10.0.0.1:8080')).toBeUndefined();
    expect(servedFileOf('http://mirror.example/images/a.raw', 'http://10.0.0.1:8080')).toBeUndefined();
  });

  it('writes the image when the control plane offers fan-out, and says why not (then the caller downloads) when it is off', async () => {
    const cp = await controlPlane();
    const a = await machine(1);
    const said: string[] = [];
    const o = { url: `${cp.url}/images/${FILE}`, serverUrl: cp.url, token: a.token, checksum, target: a.disk, say: (l: string) => said.push(l) };
    expect(await writeImageByFanout(o)).toMatchObject({ bytes: image.length, bytesFromServer: image.length });
    expect(await digestOfFile(a.disk)).toBe(checksum);
    fanoutOn = false;
    expect(await writeImageByFanout(o)).toBeUndefined();
    expect(said).toEqual([expect.stringMatching(/^fan-out not used for rack\.raw\.gz \(HTTP 409: .*fan-out is off.*\); downloading the whole image$/)]);
  });
});

async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
