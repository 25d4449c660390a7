import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EnrolmentGate } from '../boot/enrolment.ts';
import { discardLogger } from '../shared/logger.ts';
import type { SharedKv } from '../shared/shared-kv.ts';
import { openEtcdKv } from '../swarm/etcd-kv.ts';
import { sampleFacts } from '../testing/api-harness.ts';
import { describeWithPeers } from '../testing/peers.ts';
import { TestSwarm } from '../testing/test-swarm.ts';
import { createControlPlane, type ControlPlane } from './control-plane.ts';

// Issue 14: the enrolment state (DHCP evidence, issued and spent enrolment tokens) outlives a
// restart and is one in a swarm, so a spent token cannot be used once more elsewhere or later;
// and a swarm counts password attempts once, however many instances an attacker spreads them over.
const MAC = '52:54:00:e5:00:01';
const tokenIn = (body: string) => /dragonfly\.token=(\S+)/.exec(body)?.[1];
const bootScript = async (cp: ControlPlane, mac = MAC) => (await cp.api.app.inject({ url: `/boot/ipxe?mac=${mac}&platform=pcbios` })).body;
const register = (cp: ControlPlane, token: string, mac = MAC, model = 'first') =>
  cp.api.app.inject({ method: 'POST', url: '/api/agent/v1/register', headers: { authorization: `Bearer ${token}` }, payload: { mac, facts: { ...sampleFacts([mac]), cpu: { model, sockets: 1, cores: 1, threads: 1, arch: 'x86_64' } } } });
/** The same token with another request: a replay, not the agent's retry of a lost answer. */
const replayed = (cp: ControlPlane, token: string, mac = MAC) => register(cp, token, mac, 'replayed');
const firstUse = (mac: string) => new RegExp(`enrolment token for ${mac} was already used at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z from 127\\.0\\.0\\.1; it works once`);

describe('one instance: the enrolment state survives a restart on the same data directory', () => {
  let dir: string;
  let cp: ControlPlane | undefined;
  const start = async () => (cp = await createControlPlane({ dataDir: dir, listen: '127.0.0.1', httpPort: 0, tftpPort: 0, dhcpMode: 'off', logger: discardLogger }));
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'df-enrol-'));
  });
  afterAll(async () => {
    await cp?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a token spent before the restart is refused after it, naming its first use; the file holds no token', async () => {
    const token = tokenIn(await bootScript(await start()))!;
    expect(token).toMatch(/^dfe1\./);
    expect((await register(cp!, token)).statusCode).toBe(200);
    const before = (await replayed(cp!, token)).json().message as string;
    expect(before).toMatch(firstUse(MAC));
    await cp!.close();

    const replay = await replayed(await start(), token);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().message).toBe(before);
    const file = await readFile(join(dir, 'enrolment-state.json'), 'utf8');
    expect(file).toContain('enrolment/spent/');
    expect(file).not.toContain(token.split('.')[2]); // keyed by a hash: a reader of the file cannot enrol with it
    const next = tokenIn(await bootScript(cp!))!;
    expect((await register(cp!, next)).statusCode).toBe(200);
  });
});

describeWithPeers(['etcd'], 'a swarm: the enrolment state and the login limits are in etcd, one for every instance', () => {
  const swarm = new TestSwarm('df-enrol-swarm-');
  let a: ControlPlane;
  let b: ControlPlane;
  let c: ControlPlane;
  const kvs: SharedKv[] = [];
  beforeAll(async () => {
    ({ a, b, c } = await swarm.start());
  }, 120_000);
  afterEach(async () => {
    for (const kv of kvs.splice(0)) await kv.close();
  });
  afterAll(() => swarm.stop());

  it('a token spent through A is refused through B, naming its first use', async () => {
    const token = tokenIn(await bootScript(a))!;
    expect((await register(a, token)).statusCode).toBe(200);
    const replay = await replayed(b, token);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().message).toMatch(firstUse(MAC));
  });

  it('DHCP evidence seen by A lets B issue the token to that address only, and a token spent through B is spent for A', async () => {
    const gate = async () => {
      const kv = await openEtcdKv({ endpoints: [swarm.etcd.endpoint] });
      kvs.push(kv);
      return new EnrolmentGate({ kv, dhcpRuns: () => true });
    };
    const [onA, onB] = [await gate(), await gate()];
    const mac = '52:54:00:e5:00:02';
    expect(await onB.mayIssue(mac, '10.9.0.7')).toMatch(/no DHCP exchange of 52:54:00:e5:00:02 from 10\.9\.0\.7/);
    await onA.observe({ type: 'ack', mode: 'full', mac, ip: '10.9.0.7' });
    expect(await onB.mayIssue(mac, '10.9.0.7')).toBeUndefined();
    expect(await onB.mayIssue(mac, '10.9.0.8')).toMatch(/no DHCP exchange/);

    await onA.recordIssued('dfe1.test-token', '10.9.0.7');
    expect(await onB.replayProblem('dfe1.test-token', '52:54:00:e5:00:03', '10.9.0.66')).toEqual({ refusal: 'elsewhere', message: expect.stringMatching(/issued to 10\.9\.0\.7, not 10\.9\.0\.66/) });
    expect(await onB.spend('dfe1.test-token', mac, '10.9.0.7')).toBeUndefined();
    expect(await onA.spend('dfe1.test-token', mac, '10.9.0.7')).toEqual({ refusal: 'spent', message: expect.stringMatching(/already used at .* from 10\.9\.0\.7/) });
    expect(onA.status()).toMatchObject({ replaysRefused: 1, tokensRefused: 0, evidenceDropped: 0 });
  });

  it('wrong passwords spread over A and B lock the client out on every instance after five; another client signs in', async () => {
    const login = (cp: ControlPlane, password: string, from: string) =>
      cp.api.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: from, payload: { username: 'admin', password } });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login(i % 2 ? b : a, `guess-${i}`, '10.9.9.9')).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    for (const cp of [a, b, c]) {
      const locked = await login(cp, a.initialPassword!, '10.9.9.9');
      expect(locked.statusCode).toBe(429);
      expect(locked.json().message).toMatch(/too many wrong passwords from 10\.9\.9\.9; try again later \(retry after \d+ s\)/);
    }
    expect((await login(b, a.initialPassword!, '10.9.9.10')).statusCode).toBe(200);
  });
});
