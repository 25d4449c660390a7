import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlPlane, isUnreachable } from './control-plane.ts';
import { nodeHttpGet } from './actions/http-get.ts';

/** A real HTTP server on loopback that names itself in every answer. */
async function instance(name: string, host: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => res.end(`${name} ${req.url}`));
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  return { server, port: (server.address() as AddressInfo).port };
}

/** A port with nothing listening: bound, then closed. */
async function deadPort(host: string): Promise<number> {
  const { server, port } = await instance('gone', host);
  await new Promise((r) => server.close(r));
  return port;
}

describe('ControlPlane (swarm failover of the agent)', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  it('moves to the server DHCP names once the first one refuses connections, and rebases URLs of the old one', async () => {
    // two "instances" on the same port: 127.0.0.2 is dead, 127.0.0.3 answers (same port, as in a swarm)
    const live = await instance('b', '127.0.0.3');
    servers.push(live.server);
    const lines: string[] = [];
    const asked: string[] = [];
    const cp = new ControlPlane({ url: `http://127.0.0.2:${live.port}`, find: async () => (asked.push('dhcp'), '127.0.0.3'), say: (l) => lines.push(l) });
    const switched: string[] = [];
    cp.onSwitch(async (url) => void switched.push(url));
    await expect(cp.fetch(`http://127.0.0.2:${live.port}/api/agent/v1/heartbeat`, { method: 'GET' })).rejects.toThrow();
    expect(cp.url).toBe(`http://127.0.0.3:${live.port}`);
    expect(switched).toEqual([cp.url]);
    expect(lines.join('\n')).toContain(`DHCP is answered by 127.0.0.3: continuing with http://127.0.0.3:${live.port}`);
    // the retried call and the image URL given by the old instance both go to the new one
    expect(await (await cp.fetch(`http://127.0.0.2:${live.port}/api/agent/v1/heartbeat`, { method: 'GET' })).text()).toBe('b /api/agent/v1/heartbeat');
    const res = await cp.httpGet(nodeHttpGet())(`http://127.0.0.2:${live.port}/images/lab.raw.gz?x=1`, {});
    let body = '';
    for await (const c of res.body) body += Buffer.from(c).toString();
    expect(body).toBe('b /images/lab.raw.gz?x=1');
    // URLs elsewhere are left alone
    expect(cp.rebase('http://10.0.0.9:80/x')).toBe('http://10.0.0.9:80/x');
    expect(asked).toHaveLength(1);
  });

  it('stays when DHCP still names the dead instance or nobody, probes once for concurrent failures and not again within the gap', async () => {
    const port = await deadPort('127.0.0.2');
    let t = 0;
    let probes = 0;
    let answer: string | undefined = '127.0.0.2';
    const cp = new ControlPlane({ url: `http://127.0.0.2:${port}`, find: async () => (probes++, answer), now: () => t, minGapMs: 3000 });
    const calls = [1, 2, 3].map(() => cp.fetch(`http://127.0.0.2:${port}/x`, {}).catch((e: Error) => e));
    await Promise.all(calls);
    expect(probes).toBe(1);
    expect(cp.url).toBe(`http://127.0.0.2:${port}`);
    await cp.fetch(`http://127.0.0.2:${port}/x`, {}).catch(() => undefined);
    expect(probes).toBe(1); // within the gap
    t = 3000;
    answer = undefined;
    expect(await cp.failover('test')).toBe(false);
    expect(probes).toBe(2);
    t = 6000;
    answer = '127.0.0.4';
    expect(await cp.failover('test')).toBe(true);
    expect(cp.url).toBe(`http://127.0.0.4:${port}`);
  });

  it('an instance that answers with an error is alive: no failover', async () => {
    const s = createServer((_req, res) => ((res.statusCode = 503), res.end('busy')));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    servers.push(s);
    let probes = 0;
    const cp = new ControlPlane({ url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, find: async () => (probes++, '127.0.0.9') });
    expect((await cp.fetch(`${cp.url}/x`, {})).status).toBe(503);
    expect(probes).toBe(0);
    expect(isUnreachable(new Error('HTTP 500'))).toBe(false);
    expect(isUnreachable(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
  });
});
