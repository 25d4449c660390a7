import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FileKeyProvider } from '../power/secrets/key-provider.ts';
import { readLocalDataKey } from '../power/secrets/swarm-key.ts';
import { discardLogger } from '../shared/logger.ts';
import { startEtcd } from '../store/etcd/etcd-process.ts';
import { describeWithPeers, itWithPeers } from '../testing/peers.ts';
import { startIpmiSim } from '../power/ipmi/testing/ipmi-sim-harness.ts';
import { main } from '../cli/main.ts';
import { sampleFacts } from '../testing/api-harness.ts';
import { cacheTemplate, importImage, patternDisk, sha256, untilTrue } from '../testing/swarm-images.ts';
import { call, revokeEverywhere, untilRefused, whoami } from '../testing/swarm-calls.ts';
import { createControlPlane, type ControlPlane } from './control-plane.ts';
import { TestSwarm } from '../testing/test-swarm.ts';
import type { SwarmIdentity } from './swarm-identity.ts';

// Three real control planes (HTTP on 127.0.0.1, DHCP and TFTP off) on one real etcd on loopback.
const swarm = new TestSwarm('df-swarm-');
const instance = (joinToken?: string) => swarm.instance(joinToken);
const join_ = join;

const swarmOf = (cp: ControlPlane) => cp.swarm as SwarmIdentity;
const etcdDump = () => execFileSync('etcdctl', ['--endpoints', swarm.etcd.endpoint, 'get', '--prefix', '/dragonfly'], { env: { ...process.env, ETCDCTL_API: '3' } }).toString('utf8');

describeWithPeers(['etcd'], 'swarm mode is one control plane: identity in etcd', () => {
  let a: ControlPlane;
  let b: ControlPlane;
  let c: ControlPlane;
  beforeAll(async () => {
    ({ a, b, c } = await swarm.start());
  }, 120_000);
  afterAll(() => swarm.stop());

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
    // B was admitted with A's token: it is spent in etcd, and a second use names when it was used
    await expect(instance(a.swarm!.joinToken!.token)).rejects.toThrow(/join token [0-9a-f]{12} was already used at 20\d\d-\d\d-\d\dT[\d:.]+Z: a join token admits one instance/);
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
    const refusedAfter = await revokeEverywhere(a, b, c);
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
    const dump = etcdDump();
    expect(dump).toContain('/dragonfly/swarm/auth');
    expect(dump).toMatch(/"sealedSecretKey":"dfs1\./);
    expect(dump).not.toMatch(/"secretKey"/);
    expect(dump).not.toContain(a.initialPassword!);
    const dataKey = await readLocalDataKey(swarm.dirs[0], new FileKeyProvider(swarm.dirs[0]));
    expect(dataKey).toBeDefined();
    for (const enc of ['base64', 'hex', 'base64url'] as const) expect(dump).not.toContain(dataKey!.toString(enc));
    // each member keeps the same data key, sealed under its own key file (so the files differ)
    const local = await Promise.all(swarm.dirs.slice(0, 3).map((d) => readFile(join(d, 'swarm-data-key'), 'utf8')));
    expect(new Set(local).size).toBe(3);
    // `tokens create --data-dir` on a member would write an auth.json the swarm never reads: refused, naming the way
    const err: string[] = [];
    const io = { out: () => {}, err: (l: string) => void err.push(l), stdin: async () => '', env: {} };
    expect(await main(['node', 'dragonfly', 'tokens', 'create', 'x', '--data-dir', swarm.dirs[1]], io)).toBe(1);
    expect(err.join('')).toMatch(/belongs to a swarm.*use the API/);
    expect((await readLocalDataKey(swarm.dirs[1], new FileKeyProvider(swarm.dirs[1])))!.equals(dataKey!)).toBe(true);
  });

  it('a BMC credential stored through one instance is known to the others, and etcd never shows the secret', async () => {
    const put = await call(a, 'POST', '/api/v1/credentials', a.adminSession().token, { name: 'rack1-bmc', username: 'root', secret: 'bmc-pass-Zq81x' });
    expect(put.statusCode).toBeLessThan(300);
    await untilTrue(() => swarmOf(c).credentials.get('rack1-bmc')?.secret === 'bmc-pass-Zq81x');
    expect((await call(b, 'GET', '/api/v1/credentials', b.adminSession().token)).json()).toEqual({ items: [{ name: 'rack1-bmc' }] });
    expect(swarmOf(b).credentials.get('rack1-bmc')).toEqual({ username: 'root', secret: 'bmc-pass-Zq81x' });
    await swarmOf(b).templateSecrets.set('template/ubuntu/root_password', { secret: 'tpl-secret-Jw27p' });
    await untilTrue(() => swarmOf(a).templateSecrets.get('template/ubuntu/root_password')?.secret === 'tpl-secret-Jw27p');
    const dump = etcdDump();
    expect(dump).toContain('/dragonfly/swarm/secrets/credentials/rack1-bmc');
    for (const clear of ['bmc-pass-Zq81x', 'tpl-secret-Jw27p', Buffer.from('bmc-pass-Zq81x').toString('base64')]) expect(dump).not.toContain(clear);
    // deleted through another instance: gone everywhere
    expect((await call(c, 'DELETE', '/api/v1/credentials/rack1-bmc', c.adminSession().token)).statusCode).toBe(204);
    await untilTrue(() => swarmOf(a).credentials.get('rack1-bmc') === undefined);
  });

  itWithPeers(['ipmi_sim'], 'a BMC credential stored through one instance powers the machine through another (ipmi_sim)', async () => {
    const sim = await startIpmiSim({ username: 'swarmop', password: 'ipmi-pass-Hn62' });
    try {
      sim.setPower(false);
      const op = a.adminSession().token;
      expect((await call(a, 'POST', '/api/v1/credentials', op, { name: 'rack3-bmc', username: 'swarmop', secret: 'ipmi-pass-Hn62' })).statusCode).toBeLessThan(300);
      const { host, port } = sim.endpoints[0];
      await a.store.create({ apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name: 'rack3-node1' }, spec: { macs: ['52:54:00:5a:00:30'], bmc: { protocol: 'ipmi', address: `${host}:${port}`, credentialRef: 'rack3-bmc' } } });
      await untilTrue(() => swarmOf(c).credentials.get('rack3-bmc') !== undefined);
      const on = await call(c, 'POST', '/api/v1/hardware/rack3-node1/power', c.adminSession().token, { action: 'on' });
      expect(on.statusCode, on.body).toBe(200);
      expect(sim.chassis('power')).toBe('1');
      expect(etcdDump()).not.toContain('ipmi-pass-Hn62');
    } finally {
      await sim.stop();
    }
  }, 60_000);

  it('dragonfly swarm rotate-key re-encrypts every secret under a new key; running members follow and still read them', async () => {
    await swarmOf(a).credentials.set('rack2-bmc', { username: 'admin', secret: 'rot-secret-Pq55' });
    const oldId = swarmOf(a).keyring.keyId;
    const out: string[] = [];
    const io = { out: (l: string) => void out.push(l), err: (l: string) => void out.push(l), stdin: async () => '', env: {} };
    expect(await main(['node', 'dragonfly', 'swarm', 'rotate-key', '--data-dir', swarm.dirs[1], '--etcd-endpoints', swarm.etcd.endpoint, '--chain-seconds', '2'], io)).toBe(0);
    expect(out.join('\n')).toMatch(new RegExp(`swarm data key rotated: ${oldId} -> [0-9a-f]{16}`));
    const newId = /-> ([0-9a-f]{16})/.exec(out.join('\n'))![1];
    await untilTrue(() => [a, b, c].every((cp) => swarmOf(cp).keyring.keyId === newId));
    const dump = etcdDump();
    expect(dump).toContain(`dfs1.${newId}.`);
    // under the old key only the new key itself, for members that were down, until the chain expires
    expect(dump.split('\n').filter((l) => l.includes(`dfs1.${oldId}.`))).toEqual([expect.stringContaining(`"keyId":"${newId}","previous":{"keyId":"${oldId}"`)]);
    await untilTrue(() => !etcdDump().includes(oldId), 15_000);
    for (const cp of [a, b, c]) expect(swarmOf(cp).credentials.get('rack2-bmc')?.secret).toBe('rot-secret-Pq55');
    // machine tokens and API tokens keep working: the signing key is the same, only re-sealed
    const t = b.auth.issueAgentToken('52:54:00:5a:00:02');
    await untilTrue(async () => (await whoami(a, a.adminSession().token)) === 200);
    expect(c.auth.verifyMachineToken(t)).toBe('52:54:00:5a:00:02');
    // a member's own copy on disk follows too
    await untilTrue(async () => (await readLocalDataKey(swarm.dirs[2], new FileKeyProvider(swarm.dirs[2])))!.toString('hex') === swarmOf(c).keyring.key.toString('hex'));
  });

  it('an agent registered through one instance heartbeats through the others after the first is gone', async () => {
    const mac = '52:54:00:5a:00:10';
    const reg = await a.api.app.inject({ method: 'POST', url: '/api/agent/v1/register', headers: { authorization: `Bearer ${a.auth.issueEnrolmentToken(mac)}` }, payload: { mac, facts: sampleFacts([mac]) } });
    expect(reg.statusCode, reg.body).toBe(200);
    const { hardware, agentToken } = reg.json() as { hardware: string; agentToken: string };
    const op = { authorization: `Bearer ${b.adminSession().token}` };
    // its disk image was imported on A only: B copies it from A when the template is assigned through B
    const disk = patternDisk('swarm-disk');
    await importImage(a, 'swarm-disk', disk);
    await untilTrue(() => (swarmOf(a).kv.list('images/swarm-disk/')).then((l) => l.length === 1));
    await cacheTemplate(b, 'debian-12', 'swarm-disk');
    const assign = await b.api.app.inject({ method: 'POST', url: '/api/v1/assign', headers: op, payload: { template: 'debian-12', machines: [hardware] } });
    const workflow = (assign.json() as { results: Array<{ workflow: string }> }).results[0].workflow;
    expect(workflow, assign.body).toBeTruthy();
    const readyOnB = async () => ((await call(b, 'GET', '/api/v1/images', b.adminSession().token)).json() as { items: Array<{ key: string; state: string }> }).items.some((i) => i.key === 'swarm-disk' && i.state === 'ready');
    await untilTrue(readyOnB, 20_000);
    await a.close(); // the instance that enrolled it dies
    const hb = await b.api.app.inject({ method: 'POST', url: '/api/agent/v1/heartbeat', headers: { authorization: `Bearer ${agentToken}` }, payload: { mac } });
    expect(hb.statusCode, hb.body).toBe(200);
    // The run changed (assigned through B): B hands out a token bound to it, as the agent expects,
    // and the revocation of the old one is shared too (the agent follows the token it is given).
    const runToken = (hb.json() as { agentToken?: string }).agentToken;
    expect(runToken).toBeTruthy();
    const agent = { authorization: `Bearer ${runToken}` };
    expect((await c.api.app.inject({ method: 'POST', url: '/api/agent/v1/heartbeat', headers: agent, payload: { mac } })).statusCode).toBe(200);
    expect((await c.api.app.inject({ method: 'POST', url: '/api/agent/v1/heartbeat', headers: { authorization: `Bearer ${agentToken}` }, payload: { mac } })).statusCode).toBe(401);
    // The workflow through C: 503 while C copies the image from B (A, which imported it, is gone), then C's own copy.
    const heldBy = async () => ((await call(c, 'GET', '/api/v1/images', c.adminSession().token)).json() as { items: Array<{ key: string; heldBy?: string[] }> }).items.find((i) => i.key === 'swarm-disk')?.heldBy;
    await untilTrue(async () => (await heldBy())?.join() === b.url); // A withdrew its copy when it stopped
    const first = await c.api.app.inject({ url: `/api/agent/v1/workflows/${workflow}`, headers: agent });
    expect(first.body).toContain(`being fetched from instance ${b.url}`);
    let wf = first;
    await untilTrue(async () => (wf = await c.api.app.inject({ url: `/api/agent/v1/workflows/${workflow}`, headers: agent })).statusCode !== 503, 20_000);
    expect(wf.statusCode, wf.body).toBe(200);
    expect((wf.json() as { actions: Array<{ image?: object }> }).actions[0].image).toEqual({ url: `${c.url}/images/swarm-disk.raw.gz`, format: 'gz', checksum: `sha256:${sha256(disk)}` });
    // a token signed with any other key is still refused
    const forged = agentToken.replace(/\.[^.]+$/, '.AAAA');
    expect((await b.api.app.inject({ method: 'POST', url: '/api/agent/v1/heartbeat', headers: { authorization: `Bearer ${forged}` }, payload: { mac } })).statusCode).toBe(401);
  });
});

describeWithPeers(['etcd'], 'an instance that ran alone starts a swarm with what it had', () => {
  it('its admin password, API tokens and credentials carry over into etcd; no new admin password', async () => {
    const dataDir = await mkdtemp(join_(tmpdir(), 'df-solo-'));
    const etcd2 = await startEtcd();
    const opts = { dataDir, listen: '127.0.0.1', httpPort: 0, tftpPort: 0, dhcpMode: 'off' as const, logger: discardLogger };
    try {
      const solo = await createControlPlane(opts);
      const password = solo.initialPassword!;
      const { token } = (await call(solo, 'POST', '/api/v1/tokens', solo.adminSession().token, { name: 'kept' })).json() as { token: string };
      await call(solo, 'POST', '/api/v1/credentials', solo.adminSession().token, { name: 'old-bmc', username: 'root', secret: 'solo-secret-Vb4' });
      await solo.close();
      const first = await createControlPlane({ ...opts, backend: 'etcd', etcdEndpoints: [etcd2.endpoint] });
      try {
        expect(first.initialPassword).toBeUndefined();
        expect(await whoami(first, token)).toBe(200);
        expect((await first.api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password } })).statusCode).toBe(200);
        expect(swarmOf(first).credentials.get('old-bmc')?.secret).toBe('solo-secret-Vb4');
        const dump = execFileSync('etcdctl', ['--endpoints', etcd2.endpoint, 'get', '--prefix', '/dragonfly'], { env: { ...process.env, ETCDCTL_API: '3' } }).toString('utf8');
        expect(dump).toContain('/dragonfly/swarm/secrets/credentials/old-bmc');
        expect(dump).not.toContain('solo-secret-Vb4');
      } finally {
        await first.close();
      }
    } finally {
      await etcd2.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

const throws = (fn: () => unknown) => {
  try {
    fn();
    return false;
  } catch {
    return true;
  }
};


