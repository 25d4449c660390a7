import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileKeyProvider } from '../power/secrets/key-provider.ts';
import { readLocalDataKey } from '../power/secrets/swarm-key.ts';
import { cacheTemplate, enrolAndAssign, importImage, patternDisk, sha256, untilTrue } from '../testing/swarm-images.ts';
import { TestSwarm } from '../testing/test-swarm.ts';
import { call, revokeEverywhere, untilRefused, whoami } from '../testing/swarm-calls.ts';
import type { ControlPlane } from './control-plane.ts';
import type { SwarmIdentity } from './swarm-identity.ts';

// Swarm mode on the Kubernetes backend (issue 18): three real control planes (HTTP on 127.0.0.1,
// DHCP and TFTP off) on the Kubernetes test server (built from the published API shapes, on
// loopback; no cluster runs here). The same cross-instance promises as on etcd.
const swarm = new TestSwarm('df-swarm-k8s-', 'kubernetes');

const swarmOf = (cp: ControlPlane) => cp.swarm as SwarmIdentity;

/** Every swarm Secret as the API server holds it, and its `data` decoded: what someone who may read Secrets sees. */
async function secretsDump(): Promise<{ raw: string; decoded: string; names: string[] }> {
  const res = await fetch(`${swarm.kube.url}/api/v1/namespaces/dragonfly/secrets`);
  const list = (await res.json()) as { items: Array<{ metadata: { name: string; annotations: Record<string, string> }; data: Record<string, string> }> };
  const decoded = list.items.map((s) => `${s.metadata.annotations['dragonfly.computer/key']}=${Buffer.from(s.data.value, 'base64').toString('utf8')}`);
  return { raw: JSON.stringify(list), decoded: decoded.join('\n'), names: list.items.map((s) => s.metadata.name) };
}


describe('swarm mode on the Kubernetes backend (test server from the published API shapes)', () => {
  let a: ControlPlane;
  let b: ControlPlane;
  let c: ControlPlane;
  beforeAll(async () => {
    ({ a, b, c } = await swarm.start());
  }, 120_000);
  afterAll(() => swarm.stop());

  it('only the first instance gets an admin password and a join token; an instance that has not joined is refused', async () => {
    expect(a.initialPassword).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
    expect(a.swarm?.joinToken?.token).toMatch(/^dfj1\./);
    for (const cp of [b, c]) expect([cp.initialPassword, cp.swarm?.joinToken]).toEqual([undefined, undefined]);
    await expect(swarm.instance()).rejects.toThrow(/Kubernetes .* already holds a swarm.*--join TOKEN/);
  });

  it('an operator makes a join token through the API; it admits one instance, a second use is refused naming when', async () => {
    expect((await b.api.app.inject({ method: 'POST', url: '/api/v1/swarm/join-tokens', payload: {} })).statusCode).toBe(401);
    expect((await call(b, 'POST', '/api/v1/swarm/join-tokens', b.adminSession().token, { expiresSeconds: 90000 })).json()).toMatchObject({ message: expect.stringMatching(/a join token lives 1 to 86400 seconds, not 90000/) });
    const made = await call(b, 'POST', '/api/v1/swarm/join-tokens', b.adminSession().token, { expiresSeconds: 600 });
    expect(made.statusCode, made.body).toBe(201);
    const { token, expiresAt } = made.json() as { token: string; expiresAt: string };
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(590_000);
    const d = await swarm.instance(token);
    expect([d.initialPassword, await whoami(d, a.adminSession().token)]).toEqual([undefined, 200]);
    const t0 = new Date().toISOString();
    await expect(swarm.instance(token)).rejects.toThrow(/join token [0-9a-f]{12} was already used at \S+Z: a join token admits one instance; make a new one/);
    const usedAt = /already used at (\S+Z)/.exec(String(await swarm.instance(token).catch((e: Error) => e.message)))![1];
    expect(usedAt <= t0).toBe(true);
    await d.close();
  });

  it('an API token made on A works on B and C; its revocation on B is refused by all within 5 s', async () => {
    const refusedAfter = await revokeEverywhere(a, b, c);
    console.log(`kubernetes: revocation refused by all 3 instances after ${Math.max(...refusedAfter)} ms (each: ${refusedAfter.join(', ')} ms)`);
    expect(Math.max(...refusedAfter)).toBeLessThan(5000);
  });

  it('the admin signs in through B with the password A printed; logout through C ends the session everywhere', async () => {
    const login = await b.api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: a.initialPassword } });
    expect(login.statusCode).toBe(200);
    const session = (login.json() as { token: string }).token;
    expect([await whoami(a, session), await whoami(c, session)]).toEqual([200, 200]);
    const t0 = Date.now();
    expect((await call(c, 'POST', '/api/v1/auth/logout', session)).statusCode).toBe(204);
    expect(Math.max(...(await Promise.all([a, b].map((cp) => untilRefused(cp, session, t0)))))).toBeLessThan(5000);
  });

  it('a machine token issued by A is accepted by C', () => {
    expect(c.auth.verifyMachineToken(a.auth.issueAgentToken('52:54:00:5c:00:01'))).toBe('52:54:00:5c:00:01');
  });

  it('a BMC credential stored through A is unsealed by B and C; deleted through C, gone on A', async () => {
    const put = await call(a, 'POST', '/api/v1/credentials', a.adminSession().token, { name: 'k8s-bmc', username: 'root', secret: 'k8s-bmc-pass-Tx93' });
    expect(put.statusCode).toBeLessThan(300);
    await untilTrue(() => swarmOf(b).credentials.get('k8s-bmc')?.secret === 'k8s-bmc-pass-Tx93' && swarmOf(c).credentials.get('k8s-bmc') !== undefined);
    expect((await call(b, 'GET', '/api/v1/credentials', b.adminSession().token)).json()).toEqual({ items: [{ name: 'k8s-bmc' }] });
    await swarmOf(b).templateSecrets.set('template/ubuntu/root_password', { secret: 'k8s-tpl-secret-Rm40' });
    await untilTrue(() => swarmOf(a).templateSecrets.get('template/ubuntu/root_password')?.secret === 'k8s-tpl-secret-Rm40');
    expect((await secretsDump()).decoded).toMatch(/^secrets\/credentials\/k8s-bmc=dfs1\./m);
    expect((await call(c, 'DELETE', '/api/v1/credentials/k8s-bmc', c.adminSession().token)).statusCode).toBe(204);
    await untilTrue(() => swarmOf(a).credentials.get('k8s-bmc') === undefined);
    await swarmOf(a).credentials.set('k8s-bmc-2', { username: 'root', secret: 'k8s-bmc-pass-Tx93' });
  });

  it('the Secrets show no secret in clear, raw or base64-decoded: not the password, the credentials, the data key or the signing key', async () => {
    await untilTrue(async () => (await secretsDump()).decoded.includes('secrets/credentials/k8s-bmc-2='));
    const { raw, decoded, names } = await secretsDump();
    expect(names.every((n) => /^dragonfly-swarm-[0-9a-f]{40}$/.test(n))).toBe(true);
    expect(decoded).toMatch(/"sealedSecretKey":"dfs1\./);
    expect(decoded).not.toMatch(/"secretKey"/);
    const dataKey = await readLocalDataKey(swarm.dirs[0], new FileKeyProvider(swarm.dirs[0]));
    expect(dataKey).toBeDefined();
    const clear = ['k8s-bmc-pass-Tx93', 'k8s-tpl-secret-Rm40', a.initialPassword!, ...(['base64', 'hex', 'base64url'] as const).map((e) => dataKey!.toString(e))];
    for (const s of clear) {
      expect(raw).not.toContain(s);
      expect(decoded).not.toContain(s);
      expect(raw).not.toContain(Buffer.from(s).toString('base64'));
    }
  });

  it('images are published per instance: imported on A, listed as held by A on B, copied by C (digest checked) for a workflow through C', async () => {
    const disk = patternDisk('k8s-tiny');
    await importImage(a, 'k8s-tiny', disk);
    const rowOn = async (cp: ControlPlane) =>
      ((await call(cp, 'GET', '/api/v1/images', cp.adminSession().token)).json() as { items: Array<{ key: string; state: string; heldBy?: string[] }> }).items.find((i) => i.key === 'k8s-tiny');
    await untilTrue(async () => (await rowOn(b))?.heldBy?.join() === a.url);
    expect(await rowOn(b)).toMatchObject({ state: 'absent', heldBy: [a.url] });
    await cacheTemplate(b, 'k8s-os', 'k8s-tiny');
    const run = await enrolAndAssign(c, c, '52:54:00:5c:00:02', 'k8s-os');
    let wf = await c.api.app.inject({ url: `/api/agent/v1/workflows/${run.workflow}`, headers: { authorization: `Bearer ${run.token}` } });
    await untilTrue(async () => (wf = await c.api.app.inject({ url: `/api/agent/v1/workflows/${run.workflow}`, headers: { authorization: `Bearer ${run.token}` } })).statusCode !== 503, 20_000);
    expect(wf.statusCode, wf.body).toBe(200);
    const image = (wf.json() as { actions: Array<{ image?: { url: string; checksum: string } }> }).actions[0].image!;
    expect(image).toMatchObject({ url: `${c.url}/images/k8s-tiny.raw.gz`, checksum: `sha256:${sha256(disk)}` });
    const served = await fetch(image.url);
    expect(sha256(gunzipSync(Buffer.from(await served.arrayBuffer())))).toBe(sha256(disk));
    await untilTrue(async () => (await rowOn(a))?.heldBy?.length === 2);
    expect([...(await rowOn(a))!.heldBy!].sort()).toEqual([a.url, c.url].sort());
  }, 60_000);
});
