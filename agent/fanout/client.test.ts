import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { TrackerAnswer } from '../../core/contract/fanout.ts';
import { sampleFacts } from '../../core/testing/api-harness.ts';
import { createFanoutHarness } from '../../core/testing/fanout-harness.ts';
import { FanoutClient } from './client.ts';
import { nextAnnouncement } from './swarm.ts';
import { MAX_HAVE_PER_ASK } from '../../core/shared/fanout-limits.ts';

/** The tracker's channel (a WebSocket) against the real API on 127.0.0.1. */
const TRACKER = '/api/agent/v1/fanout/tracker';
let h: Awaited<ReturnType<typeof createFanoutHarness>> | undefined;
let fanoutOn = true;
const clients: FanoutClient[] = [];
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  await h?.close();
  h = undefined;
  fanoutOn = true;
});

async function api(): Promise<{ url: string; channels: Socket[] }> {
  h = await createFanoutHarness(64 * 1024, () => fanoutOn);
  const channels: Socket[] = [];
  h.app.server.on('upgrade', (_req, socket: Socket) => channels.push(socket));
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  return { url: `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`, channels };
}

async function agentToken(n: number): Promise<string> {
  const mac = `52:54:00:00:16:${n.toString(16).padStart(2, '0')}`;
  await h!.registrar.register(mac, sampleFacts([mac], { dmi: { vendor: 'QEMU', product: 'tracker', uuid: `00000000-0000-4000-8000-0000000016${n.toString(16).padStart(2, '0')}` } })); // one machine per MAC (machines match by DMI UUID too)
  return h!.auth.issueAgentToken(mac);
}

/** A raw channel: what any program on the provisioning network could open. */
async function channel(url: string, headers: Record<string, string>): Promise<{ ws: WebSocket; next: () => Promise<TrackerAnswer> }> {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + TRACKER, { headers });
  const queue: TrackerAnswer[] = [];
  const waiting: Array<(a: TrackerAnswer) => void> = [];
  ws.on('message', (d) => {
    const a = JSON.parse(String(d)) as TrackerAnswer;
    const w = waiting.shift();
    if (w) w(a);
    else queue.push(a);
  });
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  return { ws, next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiting.push(r))) };
}

/** The status a refused upgrade got, and the start of its body. */
function refused(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + TRACKER, { headers });
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => (req.destroy(), resolve(`${res.statusCode} ${body}`)));
    });
    ws.once('error', () => undefined);
  });
}

describe('the tracker channel', () => {
  it('answers each ask with its id, several in flight on one channel, and announcements reach the other agents', async () => {
    const { url } = await api();
    const a = new FanoutClient(url, await agentToken(1));
    const b = new FanoutClient(url, await agentToken(2));
    clients.push(a, b);
    await a.sources({ image: 'x.raw', peerPort: 4001, have: [0, 1, 2], want: [] });
    const [r1, r2] = await Promise.all([b.sources({ image: 'x.raw', peerPort: 4002, have: [], want: [0] }), b.sources({ image: 'x.raw', peerPort: 4002, have: [], want: [2] })]);
    expect(r1.plan).toEqual([{ chunks: [0], peer: { id: expect.any(String), url: 'http://127.0.0.1:4001' } }]);
    expect(r2.plan).toEqual([{ chunks: [2], peer: { id: r1.plan[0].peer!.id, url: 'http://127.0.0.1:4001' } }]);
  });

  it('refuses the upgrade without an agent token, with an operator token, and with fan-out off, saying why', async () => {
    const { url } = await api();
    expect(await refused(url, {})).toMatch(/^401 /);
    expect(await refused(url, { authorization: `Bearer ${h!.token}` })).toMatch(/^401 /);
    const token = await agentToken(3);
    fanoutOn = false;
    expect(await refused(url, { authorization: `Bearer ${token}` })).toMatch(/^409 .*fan-out is off/);
  });

  it('answers a frame that is not an ask with an error naming the problem, and keeps serving the channel', async () => {
    const { url } = await api();
    const { ws, next } = await channel(url, { authorization: `Bearer ${await agentToken(4)}` });
    ws.send('not json');
    expect(await next()).toMatchObject({ id: -1, error: { code: 'DF_ERR_INVALID', message: expect.stringMatching(/not JSON/) } });
    ws.send(JSON.stringify({ id: 7, sources: { image: 'x.raw', peerPort: 0, have: [], want: [] } }));
    expect(await next()).toMatchObject({ id: 7, error: { code: 'DF_ERR_INVALID', message: expect.stringMatching(/peerPort/) } });
    ws.send(JSON.stringify({ id: 8, sources: { image: 'x.raw', peerPort: 4004, have: [], want: [0] }, extra: 1 }));
    expect((await next()).error?.message).toMatch(/not \{id, sources\} or \{id, report\}/);
    ws.send(JSON.stringify({ id: 9, sources: { image: 'x.raw', peerPort: 4004, have: [], want: [0] } }));
    expect(await next()).toEqual({ id: 9, sources: { plan: [{ chunks: [0] }], wanting: 0 } });
    fanoutOn = false; // switched off while imaging: each ask says so, the channel stays
    ws.send(JSON.stringify({ id: 10, sources: { image: 'x.raw', peerPort: 4004, have: [], want: [1] } }));
    expect(await next()).toMatchObject({ id: 10, error: { code: 'DF_ERR_CONFLICT', message: expect.stringMatching(/fan-out is off/) } });
    ws.close();
  });

  it('checks the agent token on every ask: once it is revoked (the machine must enrol again), the ask is refused and the channel ends', async () => {
    const { url } = await api();
    const { ws, next } = await channel(url, { authorization: `Bearer ${await agentToken(9)}` });
    ws.send(JSON.stringify({ id: 1, sources: { image: 'x.raw', peerPort: 4009, have: [0], want: [] } }));
    expect((await next()).sources).toBeDefined();
    await h!.auth.revokeAgentTokens('52:54:00:00:16:09');
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    ws.send(JSON.stringify({ id: 2, sources: { image: 'x.raw', peerPort: 4009, have: [1], want: [] } }));
    expect(await next()).toMatchObject({ id: 2, error: { code: 'DF_ERR_UNAUTHORIZED', message: expect.stringMatching(/revoked/) } });
    expect(await closed).toBe(1008);
    expect(h!.tracker.holders('x.raw', 1)).toEqual([]);
  });

  it('takes an ask announcing as many chunks as an agent may hold back after a tracker outage: the agent splits them, the channel accepts each part', async () => {
    const { url } = await api();
    const a = new FanoutClient(url, await agentToken(10));
    clients.push(a);
    const fresh = Array.from({ length: MAX_HAVE_PER_ASK + 100 }, (_, i) => i);
    const first = nextAnnouncement(fresh);
    expect(first).toHaveLength(MAX_HAVE_PER_ASK);
    expect(fresh).toHaveLength(100); // left for the next ask
    await a.sources({ image: 'big.raw', peerPort: 4010, have: first, want: [] });
    await a.sources({ image: 'big.raw', peerPort: 4010, have: nextAnnouncement(fresh), want: [] });
    expect(fresh).toEqual([]);
    expect(h!.tracker.holders('big.raw', MAX_HAVE_PER_ASK + 99)).toHaveLength(1);
    await expect(a.sources({ image: 'big.raw', peerPort: 4010, have: Array.from({ length: MAX_HAVE_PER_ASK + 1 }, (_, i) => i), want: [] })).rejects.toThrow(/have/);
  });

  it('compresses answers against the ones before them: a repeated plan costs a few bytes on the laptop link', async () => {
    const { url, channels } = await api();
    const a = new FanoutClient(url, await agentToken(5));
    const b = new FanoutClient(url, await agentToken(6));
    clients.push(a, b);
    await a.sources({ image: 'x.raw', peerPort: 4005, have: [0, 1, 2, 3], want: [] });
    const ask = () => b.sources({ image: 'x.raw', peerPort: 4006, have: [], want: [0, 1, 2, 3] });
    const json = JSON.stringify({ id: 1, sources: await ask() }).length;
    const socket = channels[1];
    const before = socket.bytesWritten;
    for (let k = 0; k < 10; k++) await ask();
    const perAnswer = (socket.bytesWritten - before) / 10;
    expect(json).toBeGreaterThan(100);
    expect(perAnswer).toBeLessThan(json / 4);
  });

  it('fails asks waiting on a lost channel at once, and the next ask opens a new one', async () => {
    const { url, channels } = await api();
    const a = new FanoutClient(url, await agentToken(7));
    clients.push(a);
    await a.sources({ image: 'x.raw', peerPort: 4007, have: [0], want: [] });
    channels[0].destroy(); // the control plane's end vanishes (a restart, a cable)
    const t0 = Date.now();
    await expect(a.sources({ image: 'x.raw', peerPort: 4007, have: [], want: [] })).rejects.toThrow(/closed|ECONNRESET|socket/i);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await a.sources({ image: 'x.raw', peerPort: 4007, have: [1], want: [] })).plan).toEqual([]);
    expect(channels).toHaveLength(2);
    expect(h!.tracker.holders('x.raw', 1)).toHaveLength(1);
  });
});

describe('the manifest', () => {
  it('goes gzip to an agent that takes it (every agent of a rack fetches it over the laptop link), plain to one that does not', async () => {
    const { url } = await api();
    await mkdir(join(h!.dataDir, 'images'), { recursive: true });
    await writeFile(join(h!.dataDir, 'images', 'm.raw'), randomBytes(40 * 64 * 1024));
    const token = await agentToken(8);
    const raw = (enc: string) => new Promise<{ encoding?: string; bytes: number }>((resolve, reject) => {
      request(`${url}/api/agent/v1/fanout/images/m.raw/manifest`, { headers: { authorization: `Bearer ${token}`, 'accept-encoding': enc } }, (res) => {
        let bytes = 0;
        res.on('data', (d: Buffer) => (bytes += d.length));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes }));
      }).on('error', reject).end();
    });
    const plain = await raw('identity');
    const gz = await raw('gzip, deflate');
    expect(plain.encoding).toBeUndefined();
    expect(gz.encoding).toBe('gzip');
    expect(gz.bytes).toBeLessThan(plain.bytes * 0.7);
    expect((await raw('gzip;q=0, *')).encoding).toBeUndefined();
    const m = (await (await fetch(`${url}/api/agent/v1/fanout/images/m.raw/manifest`, { headers: { authorization: `Bearer ${token}` } })).json()) as { sha256: string[] }; // fetch takes gzip and inflates it
    expect(m).toMatchObject({ image: 'm.raw', chunkBytes: 64 * 1024, sha256: expect.any(Array) });
    expect(m.sha256).toHaveLength(40);
    expect(await new FanoutClient(url, token).manifest('m.raw')).toEqual(m); // the agent's own client
  });
});
