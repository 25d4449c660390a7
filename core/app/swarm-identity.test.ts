import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FileKeyProvider } from '../power/secrets/key-provider.ts';
import { readLocalDataKey } from '../power/secrets/swarm-key.ts';
import { discardLogger } from '../shared/logger.ts';
import { startEtcd, type EtcdProcess } from '../store/etcd/etcd-process.ts';
import { describeWithPeers } from '../testing/peers.ts';
import { createControlPlane, type ControlPlane } from './control-plane.ts';

// Three real control planes (HTTP on 127.0.0.1, DHCP and TFTP off) on one real etcd on loopback.
let etcd: EtcdProcess;
const dirs: string[] = [];
const planes: ControlPlane[] = [];

async function instance(join?: string): Promise<ControlPlane> {
  const dataDir = await mkdtemp(join_(tmpdir(), 'df-swarm-'));
  dirs.push(dataDir);
  const cp = await createControlPlane({ dataDir, backend: 'etcd', etcdEndpoints: [etcd.endpoint], join, listen: '127.0.0.1', httpPort: 0, tftpPort: 0, dhcpMode: 'off', logger: discardLogger });
  planes.push(cp);
  return cp;
}
const join_ = join;

const call = (cp: ControlPlane, method: 'GET' | 'POST' | 'DELETE', url: string, token: string, payload?: object) =>
  cp.api.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, payload });
const whoami = async (cp: ControlPlane, token: string) => (await call(cp, 'GET', '/api/v1/auth/whoami', token)).statusCode;

describeWithPeers(['etcd'], 'swarm mode is one control plane: identity in etcd', () => {
  let a: ControlPlane;
  let b: ControlPlane;
  let c: ControlPlane;
  beforeAll(async () => {
    etcd = await startEtcd();
    a = await instance();
    b = await instance(a.swarm!.joinToken!.token);
    c = await instance(a.swarm!.joinToken!.token);
  }, 120_000);
  afterAll(async () => {
    for (const cp of planes) await cp.close().catch(() => {});
    await etcd?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('only the first instance gets an admin password and a join token; the joiners get neither', () => {
    expect(a.initialPassword).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
    expect(a.swarm?.joinToken?.token).toMatch(/^dfj1\./);
    for (const cp of [b, c]) {
      expect(cp.initialPassword).toBeUndefined();
      expect(cp.swarm?.joinToken).toBeUndefined();
    }
  });

  it('an instance that has not joined is refused with the way to join; a bad or expired token is refused by name', async () => {
    await expect(instance()).rejects.toThrow(/already holds a swarm.*dragonfly swarm join-token.*--join TOKEN/);
    await expect(instance('dfj1.nonsense')).rejects.toThrow(/not a join token/);
    const short = await a.swarm!.makeJoinToken(1);
    await new Promise((r) => setTimeout(r, 1500));
    await expect(instance(short.token)).rejects.toThrow(/join token [0-9a-f]{12} has expired/);
  });

  it('the admin password set on the first instance signs in on another; that session works everywhere until logout anywhere', async () => {
    const login = await b.api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: a.initialPassword } });
    expect(login.statusCode).toBe(200);
    const session = (login.json() as { token: string }).token;
    expect([await whoami(a, session), await whoami(b, session), await whoami(c, session)]).toEqual([200, 200, 200]);
    const t0 = Date.now();
    expect((await call(c, 'POST', '/api/v1/auth/logout', session)).statusCode).toBe(204);
    const refusedAfter = await Promise.all([a, b, c].map((cp) => untilRefused(cp, session, t0)));
    expect(Math.max(...refusedAfter)).toBeLessThan(5000);
  });

  it('an API token made on one instance works on the others; its revocation on one is refused by all within 5 s', async () => {
    const made = await call(a, 'POST', '/api/v1/tokens', a.adminSession().token, { name: 'ci' });
    expect(made.statusCode).toBe(201);
    const { id, token } = made.json() as { id: string; token: string };
    expect([await whoami(a, token), await whoami(b, token), await whoami(c, token)]).toEqual([200, 200, 200]);

    const t0 = Date.now();
    expect((await call(b, 'DELETE', `/api/v1/tokens/${id}`, token)).statusCode).toBe(204);
    const refusedAfter = await Promise.all([a, b, c].map((cp) => untilRefused(cp, token, t0)));
    console.log(`revocation refused by all 3 instances after ${Math.max(...refusedAfter)} ms (each: ${refusedAfter.join(', ')} ms)`);
    expect(Math.max(...refusedAfter)).toBeLessThan(5000);
  });

  it('machine tokens work anywhere: issued by one, accepted by another; revoked on one, refused by the others', async () => {
    const token = a.auth.issueAgentToken('52:54:00:5a:00:01');
    expect(b.auth.verifyMachineToken(token)).toBe('52:54:00:5a:00:01');
    expect(c.auth.verifyMachineToken(c.auth.issueEnrolmentToken('52:54:00:5a:00:01'))).toBe('52:54:00:5a:00:01');
    await b.auth.revokeAgentTokens('52:54:00:5a:00:01');
    await untilTrue(() => throws(() => a.auth.verifyMachineToken(token)) && throws(() => c.auth.verifyMachineToken(token)));
    expect(() => a.auth.verifyMachineToken(token)).toThrow(/revoked/);
  });

  it('etcd holds no secret in clear: not the data key, not the signing key, not the admin password', async () => {
    const dump = execFileSync('etcdctl', ['--endpoints', etcd.endpoint, 'get', '--prefix', '/dragonfly'], { env: { ...process.env, ETCDCTL_API: '3' } }).toString('utf8');
    expect(dump).toContain('/dragonfly/swarm/auth');
    expect(dump).toMatch(/"sealedSecretKey":"dfs1\./);
    expect(dump).not.toMatch(/"secretKey"/);
    expect(dump).not.toContain(a.initialPassword!);
    const dataKey = await readLocalDataKey(dirs[0], new FileKeyProvider(dirs[0]));
    expect(dataKey).toBeDefined();
    for (const enc of ['base64', 'hex', 'base64url'] as const) expect(dump).not.toContain(dataKey!.toString(enc));
    // each member keeps the same data key, sealed under its own key file (so the files differ)
    const local = await Promise.all(dirs.slice(0, 3).map((d) => readFile(join(d, 'swarm-data-key'), 'utf8')));
    expect(new Set(local).size).toBe(3);
    expect((await readLocalDataKey(dirs[1], new FileKeyProvider(dirs[1])))!.equals(dataKey!)).toBe(true);
  });
});

const throws = (fn: () => unknown) => {
  try {
    fn();
    return false;
  } catch {
    return true;
  }
};

async function untilTrue(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not true within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** ms from t0 until `cp` answers 401 to `token` (polling every 20 ms; fails after 10 s). */
async function untilRefused(cp: ControlPlane, token: string, t0: number): Promise<number> {
  await untilTrue(async () => (await whoami(cp, token)) === 401, 10_000);
  return Date.now() - t0;
}
