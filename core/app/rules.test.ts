import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discardLogger } from '../shared/logger.ts';
import { sampleFacts } from '../testing/api-harness.ts';
import type { HardwareFacts } from '../model/hardware.ts';
import { createControlPlane, type ControlPlane } from './control-plane.ts';

// Zero-touch rules through the real wiring (createControlPlane): loopback HTTP, DHCP and TFTP off.
let cp: ControlPlane;
let dir: string;
let headers: Record<string, string>;
const GiB = 1024 ** 3;

const manifest = `
apiVersion: dragonfly.computer/v1
kind: Template
metadata: { name: rack-os }
spec:
  actions:
    - { name: write-image, type: image2disk, disk: { path: /dev/vda }, image: { url: "cache:rack-os" } }
    - { name: reboot, type: reboot }
---
apiVersion: dragonfly.computer/v1
kind: Rule
metadata: { name: rack-a }
spec:
  priority: 10
  match: { serial: "RACK-A-*", macPrefix: "52:54:00" }
  expect: { memoryGiB: 2, disks: { atLeast: 2 } }
  action: { labels: { role: worker }, template: rack-os, variables: { site: lab } }
---
apiVersion: dragonfly.computer/v1
kind: Rule
metadata: { name: ghost }
spec:
  priority: 20
  match: { serial: "GHOST-*" }
  action: { template: no-such-template }
---
apiVersion: dragonfly.computer/v1
kind: Rule
metadata: { name: hold-the-rest }
spec:
  priority: 500
  action: { requireApproval: true, template: rack-os }
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-rules-'));
  cp = await createControlPlane({ dataDir: dir, listen: '127.0.0.1', httpPort: 0, tftpPort: 0, dhcpMode: 'off', logger: discardLogger });
  headers = { authorization: `Bearer ${cp.adminSession().token}` };
  const applied = await cp.api.app.inject({ method: 'POST', url: '/api/v1/apply', headers: { ...headers, 'content-type': 'application/yaml' }, payload: manifest });
  expect(applied.statusCode, applied.body).toBe(200);
});
afterAll(async () => {
  await cp?.close();
  await rm(dir, { recursive: true, force: true });
});

const disk = (name: string) => ({ name, path: `/dev/${name}`, sizeBytes: 8 * GiB });

async function register(mac: string, serial: string, over: Partial<HardwareFacts>) {
  const token = cp.auth.issueEnrolmentToken(mac);
  const facts = sampleFacts([mac], { dmi: { vendor: 'QEMU', product: 'Standard PC', serial, uuid: `0000${mac.replaceAll(':', '')}-0000-0000-0000-000000000000`.slice(0, 36) }, ...over });
  const res = await cp.api.app.inject({ method: 'POST', url: '/api/agent/v1/register', headers: { authorization: `Bearer ${token}` }, payload: { mac, facts } });
  expect(res.statusCode, res.body).toBe(200);
  return (await cp.api.app.inject({ url: `/api/v1/hardware/${res.json().hardware}`, headers })).json();
}

async function workflowsOf(machine: string) {
  const items = (await cp.api.app.inject({ url: '/api/v1/workflows', headers })).json().items as Array<{ metadata: { name: string }; spec: { hardwareRef: string; templateRef: string; variables?: object } }>;
  return items.filter((w) => w.spec.hardwareRef === machine);
}

describe('zero-touch rules at registration', () => {
  it('a matching machine with the expected parts is labelled and assigned the rule\'s template, and its timeline says why', async () => {
    const hw = await register('52:54:00:17:00:01', 'RACK-A-001', { memoryBytes: 4 * GiB, disks: [disk('vda'), disk('vdb')] });
    expect(hw.status.state).toBe('Assigned');
    expect(hw.metadata.labels).toMatchObject({ role: 'worker' });
    const wfs = await workflowsOf(hw.metadata.name);
    expect(wfs).toHaveLength(1);
    expect(wfs[0].spec).toMatchObject({ templateRef: 'rack-os', variables: { site: 'lab' } });
    const steps = hw.status.bootHistory.map((e: { step: string; detail?: string }) => `${e.step}: ${e.detail ?? ''}`);
    expect(steps).toContainEqual('rule: rule rack-a matched: serial "RACK-A-001" ~ "RACK-A-*"; mac 52:54:00:17:00:01 starts with 52:54:00');
  });

  it('a machine short of memory and disks goes to Error naming each difference, with no workflow', async () => {
    const hw = await register('52:54:00:17:00:02', 'RACK-A-002', { memoryBytes: 1 * GiB, disks: [disk('vda')] });
    expect(hw.status.state).toBe('Error');
    expect(hw.status.message).toBe('rule rack-a: memory 1.0 GiB, expected ≥ 2 GiB; disks 1, expected ≥ 2');
    expect(await workflowsOf(hw.metadata.name)).toEqual([]);
    // Its agent is not sent to image anything.
    const again = await register('52:54:00:17:00:02', 'RACK-A-002', { memoryBytes: 1 * GiB, disks: [disk('vda')] });
    expect(again.status.state).toBe('Error');
    expect(await workflowsOf(hw.metadata.name)).toEqual([]);
  });

  it('the catch-all rule holds an unknown machine for approval; nothing is assigned until approved', async () => {
    const hw = await register('52:54:00:17:00:03', 'OTHER-1', { memoryBytes: 4 * GiB });
    expect(hw.status.state).toBe('Registered');
    expect(hw.status.conditions).toContainEqual(expect.objectContaining({ type: 'AwaitingApproval', status: 'True' }));
    expect(hw.status.conditions).toContainEqual(expect.objectContaining({ type: 'RuleMatched', reason: 'hold-the-rest' }));
    expect(await workflowsOf(hw.metadata.name)).toEqual([]);

    // Once approved, the rule goes on: its template is assigned.
    const approved = await cp.api.app.inject({ method: 'POST', url: `/api/v1/hardware/${hw.metadata.name}/approve`, headers });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json().status.state).toBe('Assigned');
    expect(await workflowsOf(hw.metadata.name)).toHaveLength(1);
  });

  it('a rule naming a template that does not exist leaves the machine Registered, and says so', async () => {
    const hw = await register('52:54:00:17:00:05', 'GHOST-1', { memoryBytes: 4 * GiB });
    expect(hw.status.state).toBe('Registered');
    const last = hw.status.bootHistory.at(-1);
    expect(last).toMatchObject({ step: 'rule', detail: expect.stringMatching(/^rule ghost could not assign template no-such-template: .*no-such-template/) });
    expect(await workflowsOf(hw.metadata.name)).toEqual([]);
  });

  it('a provisioned machine registering again is never re-imaged by a rule', async () => {
    const facts = { memoryBytes: 4 * GiB, disks: [disk('vda'), disk('vdb')] };
    const name = (await register('52:54:00:17:00:04', 'RACK-A-004', facts)).metadata.name;
    const [wf] = await workflowsOf(name);
    // The agent runs both actions, as it reports them.
    for (const action of [0, 1]) for (const phase of ['Running', 'Succeeded'] as const) await cp.workflows.applyAgentEvent(wf.metadata.name, { action, phase });
    const again = await register('52:54:00:17:00:04', 'RACK-A-004', facts);
    expect(again.status.state).toBe('Ready');
    expect(await workflowsOf(name)).toHaveLength(1);
  });
});
