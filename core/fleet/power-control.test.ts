import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHarness, sampleTemplate, type Harness } from '../testing/api-harness.ts';
import { describeWithPeers } from '../testing/peers.ts';
import { startIpmiSim, type IpmiSim } from '../power/ipmi/testing/ipmi-sim-harness.ts';
import { CredentialStore } from '../power/secrets/credential-store.ts';
import { SecretBox } from '../power/secrets/secret-box.ts';
import { PowerControl } from './power-control.ts';
import { WorkflowService } from '../workflow/workflow-service.ts';
import { discardLogger } from '../shared/logger.ts';
import { randomBytes } from 'node:crypto';

describeWithPeers(['ipmi_sim'], 'power control through the API, against OpenIPMI ipmi_sim on loopback', () => {
  let sim: IpmiSim;
  let h: Harness;
  let dir: string;
  let app: Harness['app'];
  let headers: Record<string, string>;
  let workflows: WorkflowService;

  beforeAll(async () => {
    sim = await startIpmiSim();
    dir = mkdtempSync(join(tmpdir(), 'df-power-'));
    // The control plane as core/app wires it: power control and credentials are the real ones.
    h = await createHarness();
    app = h.app;
    workflows = h.workflows;
    headers = h.headers;
  });
  afterAll(async () => {
    await h?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the credential encrypted and never returns it', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/credentials', headers, payload: { name: 'bmc1', username: 'admin', secret: 'secret' } });
    expect(res.statusCode).toBe(201);
    expect(readFileSync(join(h.dataDir, 'credentials.json'), 'utf8')).not.toContain('"secret"');
    const list = await app.inject({ url: '/api/v1/credentials', headers });
    expect(list.body).not.toContain('secret"');
    expect(list.json().items).toEqual([{ name: 'bmc1' }]);
  });

  it('powers a machine on and off through its BMC, and reports per-machine results in bulk', async () => {
    const ep = sim.endpoints[0];
    await h.store.create({
      apiVersion: 'dragonfly.computer/v1',
      kind: 'Hardware',
      metadata: { name: 'bmc-machine' },
      spec: { macs: ['52:54:00:99:00:01'], bmc: { protocol: 'ipmi', address: `${ep.host}:${ep.port}`, credentialRef: 'bmc1' } },
      status: { state: 'Registered' },
    });
    const on = await app.inject({ method: 'POST', url: '/api/v1/hardware/bmc-machine/power', headers, payload: { action: 'on' } });
    expect(on.json()).toEqual({ state: 'on' });
    expect(sim.chassis('power')).toBe('1');
    const bulk = await app.inject({ method: 'POST', url: '/api/v1/power', headers, payload: { machines: ['bmc-machine', 'ghost'], action: 'off' } });
    const results = bulk.json().results;
    expect(results[0]).toEqual({ machine: 'bmc-machine', state: 'off' });
    expect(results[1].error.code).toBe('DF_ERR_NOT_FOUND');
    expect(sim.chassis('power')).toBe('0');
  });

  it('assigning an OS sets next boot to PXE and powers the machine up; success sets disk', async () => {
    await h.store.create(sampleTemplate('tpl') as never);
    const before = sim.log().length;
    const [r] = await workflows.assign({ template: 'tpl', machines: ['bmc-machine'] });
    expect(r.workflow).toBeTruthy();
    const log = sim.log().slice(before);
    expect(log).toContain('boot pxe');
    expect(log).toContain('power 1');
    for (let i = 0; i < 3; i++) await workflows.applyAgentEvent(r.workflow!, { action: i, phase: 'Succeeded' });
    expect(sim.chassis('boot')).toBe('default');
  });

  it('a wrong password is a clear error, not a retry storm', async () => {
    const credentials = new CredentialStore(join(dir, 'c2.json'), new SecretBox(randomBytes(32)));
    credentials.set('bad', { username: 'admin', secret: 'nope' });
    const pc = new PowerControl(h.store, credentials, discardLogger);
    const hw = await h.store.get('Hardware', 'bmc-machine');
    (hw.spec as { bmc: { credentialRef: string } }).bmc.credentialRef = 'bad';
    await h.store.update(hw);
    await expect(pc.act('bmc-machine', 'status')).rejects.toThrow(/rejected user 'admin'/);
  });
});

