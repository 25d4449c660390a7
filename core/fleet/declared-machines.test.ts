import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHarness, sampleFacts, sampleTemplate, type Harness } from '../testing/api-harness.ts';
import { describeWithPeers } from '../testing/peers.ts';
import { startIpmiSim, type IpmiSim } from '../power/ipmi/testing/ipmi-sim-harness.ts';
import { CredentialStore } from '../power/secrets/credential-store.ts';
import { SecretBox } from '../power/secrets/secret-box.ts';
import type { Hardware } from '../model/hardware.ts';
import { buildApi } from '../api/server.ts';
import { WorkflowService } from '../workflow/workflow-service.ts';
import { discardLogger } from '../shared/logger.ts';
import { PowerControl } from './power-control.ts';

// Issue 17.5: a machine declared from a CSV, never booted, assigned: Dragonfly powers it on
// through its BMC (OpenIPMI ipmi_sim on loopback) with the next boot from the network.
describeWithPeers(['ipmi_sim'], 'declared machines: CSV import and assignment through the BMC (ipmi_sim)', () => {
  let sim: IpmiSim;
  let h: Harness;
  let dir: string;
  let app: Awaited<ReturnType<typeof buildApi>>['app'];
  let workflows: WorkflowService;
  const csv = (rows: string[]) => ['mac,bmc_address,bmc_username,bmc_password,rack,position,name', ...rows].join('\n');
  const post = (body: string) => app.inject({ method: 'POST', url: '/api/v1/inventory/import', headers: { ...h.headers, 'content-type': 'text/csv' }, payload: body });

  beforeAll(async () => {
    sim = await startIpmiSim();
    dir = mkdtempSync(join(tmpdir(), 'df-declared-'));
    h = await createHarness();
    const credentials = new CredentialStore(join(dir, 'credentials.json'), new SecretBox(randomBytes(32)));
    const power = new PowerControl(h.store, credentials, discardLogger);
    workflows = new WorkflowService({ store: h.store, power });
    const built = await buildApi({
      store: h.store,
      auth: h.auth,
      workflows,
      registrar: h.registrar,
      index: h.index,
      power,
      credentials,
      serverUrl: () => 'http://127.0.0.1:1',
      boot: { agentImageDir: dir, ipxeDir: dir },
      system: { status: async () => ({ version: 't', backend: 'memory', services: {}, counts: { byState: {} } }), getSettings: () => ({ dhcpMode: 'off', dns: [], leaseSeconds: 60, tftpPort: 0, httpPort: 0 }), putSettings: async () => { throw new Error('no'); } },
    });
    app = built.app;
    await h.store.create(sampleTemplate('tpl') as never);
  });
  afterAll(async () => {
    await app?.close();
    await h?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('one bad row refuses the whole file: every problem named by line, nothing created, no credential stored', async () => {
    const ep = sim.endpoints[0];
    const res = await post(csv([`52:54:00:dd:00:01,${ep.host}:${ep.port},admin,secret,r1,u1,rack1-u1`, `52:54:00:dd:00:zz,${ep.host}:${ep.port},admin,secret,r1,u2,`]));
    expect(res.statusCode).toBe(400);
    expect(res.json().details.problems).toEqual([{ line: 3, message: expect.stringContaining('"52:54:00:dd:00:zz" is not a MAC') }]);
    expect(res.json().message).toContain('line 3:');
    expect((await h.store.list('Hardware')).items).toEqual([]);
    expect((await app.inject({ url: '/api/v1/credentials', headers: h.headers })).json().items).toEqual([]);
  });

  it('declares machines with labels and an encrypted BMC credential reference', async () => {
    const ep = sim.endpoints[0];
    const res = await post(csv([`52:54:00:dd:00:01,${ep.host}:${ep.port},admin,secret,r1,u1,rack1-u1`]));
    expect(res.statusCode).toBe(201);
    expect(res.json().created).toEqual([{ line: 2, name: 'rack1-u1', mac: '52:54:00:dd:00:01' }]);
    const hw = await h.store.get<Hardware>('Hardware', 'rack1-u1');
    expect(hw.metadata.labels).toEqual({ rack: 'r1', position: 'u1', 'dragonfly.computer/declared': 'true' });
    expect(hw.spec.bmc).toEqual({ protocol: 'ipmi', address: `${ep.host}:${ep.port}`, credentialRef: 'bmc-rack1-u1' });
    expect(hw.status?.state).toBe('Discovered');
    expect(readFileSync(join(dir, 'credentials.json'), 'utf8')).not.toContain('secret');
  });

  it('importing the same MAC again is refused, naming the machine that has it', async () => {
    const res = await post(csv(['52:54:00:dd:00:01,127.0.0.1:623,admin,pw,r1,u9,']));
    expect(res.json().details.problems).toEqual([{ line: 2, message: 'mac 52:54:00:dd:00:01 belongs to machine rack1-u1 already' }]);
  });

  it('assigning the declared machine sets next boot PXE and powers it on; when it registers the assignment runs', async () => {
    await app.inject({ method: 'POST', url: '/api/v1/hardware/rack1-u1/power', headers: h.headers, payload: { action: 'off' } });
    const before = sim.log().length;
    const res = await app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'tpl', machines: ['rack1-u1'] } });
    const [r] = res.json().results;
    expect(r.error).toBeUndefined();
    const log = sim.log().slice(before);
    expect(log).toContain('boot pxe');
    expect(log).toContain('power 1');
    expect(log.indexOf('boot pxe')).toBeLessThan(log.indexOf('power 1'));
    expect(sim.chassis('power')).toBe('1');
    expect((await h.store.get<Hardware>('Hardware', 'rack1-u1')).status).toMatchObject({ state: 'Assigned', currentWorkflow: r.workflow });

    // The machine PXE-boots and its agent registers: it keeps the assignment, now with its facts.
    const registered = await h.registrar.register('52:54:00:dd:00:01', sampleFacts(['52:54:00:dd:00:01']));
    expect(registered.metadata.name).toBe('rack1-u1');
    expect(registered.status).toMatchObject({ state: 'Assigned', currentWorkflow: r.workflow });
    await workflows.applyAgentEvent(r.workflow, { action: 0, phase: 'Running' });
    expect((await h.store.get<Hardware>('Hardware', 'rack1-u1')).status?.state).toBe('Provisioning');
  });

  it('when the BMC cannot be driven, the declared machine stays Assigned and its timeline says why', async () => {
    const ep = sim.endpoints[0];
    await app.inject({ method: 'POST', url: '/api/v1/credentials', headers: h.headers, payload: { name: 'gone', username: 'admin', secret: 'secret' } });
    const res = await post(['mac,bmc_address,credential_ref,name', `52:54:00:dd:00:02,${ep.host}:${ep.port},gone,rack1-u2`].join('\n'));
    expect(res.statusCode).toBe(201);
    await app.inject({ method: 'DELETE', url: '/api/v1/credentials/gone', headers: h.headers });
    const [r] = (await app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'tpl', machines: ['rack1-u2'] } })).json().results;
    expect(r.workflow).toBeTruthy();
    const hw = await h.store.get<Hardware>('Hardware', 'rack1-u2');
    expect(hw.status?.state).toBe('Assigned');
    expect(hw.status?.bootHistory?.at(-1)).toMatchObject({ step: 'power', detail: 'bootIntoProvisioning failed: credential "gone" of rack1-u2 does not exist' });
  });

  it('cancelling the assignment of a declared machine that never booted makes it declared again, not Registered; it can be assigned again', async () => {
    const hw = await h.store.get<Hardware>('Hardware', 'rack1-u2');
    expect(hw.status?.state).toBe('Assigned');
    const res = await app.inject({ method: 'POST', url: '/api/v1/hardware/rack1-u2/resolve', headers: h.headers, payload: { as: 'cancel' } });
    expect(res.statusCode).toBe(200);
    const after = await h.store.get<Hardware>('Hardware', 'rack1-u2');
    expect(after.status).toMatchObject({ state: 'Discovered' });
    expect(after.status?.currentWorkflow).toBeUndefined();
    const again = await app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'tpl', machines: ['rack1-u2'] } });
    expect(again.json().results[0].workflow).toBeTruthy();
  });

  it('a machine that is neither declared nor registered is still refused', async () => {
    await h.store.create<Hardware>({ apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name: 'stray' }, spec: { macs: ['52:54:00:dd:00:09'] }, status: { state: 'Discovered' } });
    const res = await app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'tpl', machines: ['stray'] } });
    expect(res.json().results[0].error.message).toMatch(/a machine in state Discovered cannot take event "assigned"/);
  });
});
