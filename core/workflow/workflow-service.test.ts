import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { WorkflowService, type Notification } from './workflow-service.ts';
import type { Hardware } from '../model/hardware.ts';
import type { Workflow } from '../model/workflow.ts';
import { markLostAgents } from '../inventory/liveness.ts';

async function setup(templateExtra: object = {}) {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const store = createMemoryStore();
  const svc = new WorkflowService({ store, now: () => now });
  await store.create({
    apiVersion: 'dragonfly.computer/v1',
    kind: 'Template',
    metadata: { name: 't' },
    spec: { timeoutSeconds: 600, actionTimeoutSeconds: 120, actions: [{ name: 'a', type: 'reboot' }, { name: 'b', type: 'reboot', timeoutSeconds: 30 }], ...templateExtra },
  });
  for (const name of ['m1', 'm2']) {
    await store.create<Hardware>({
      apiVersion: 'dragonfly.computer/v1',
      kind: 'Hardware',
      metadata: { name },
      spec: { macs: [name === 'm1' ? '52:54:00:00:00:01' : '52:54:00:00:00:02'] },
      status: { state: 'Registered', lastSeen: new Date(now).toISOString() },
    });
  }
  const notes: Notification[] = [];
  svc.on('notification', (n) => notes.push(n));
  return { store, svc, notes, advance: (ms: number) => (now += ms), now: () => now };
}

const state = async (store: ReturnType<typeof createMemoryStore>, n: string) => (await store.get<Hardware>('Hardware', n)).status!;

describe('workflow engine', () => {
  it('assigns many machines at once, one workflow each', async () => {
    const { store, svc } = await setup();
    const res = await svc.assign({ template: 't', machines: ['m1', 'm2', 'm1'] });
    expect(res.map((r) => r.machine)).toEqual(['m1', 'm2']);
    expect((await store.list('Workflow')).items).toHaveLength(2);
    expect((await state(store, 'm1')).state).toBe('Assigned');
  });

  it('times out an action that runs past its own timeout, naming it', async () => {
    const { store, svc, notes, advance } = await setup();
    const [{ workflow }] = await svc.assign({ template: 't', machines: ['m1'] });
    await svc.applyAgentEvent(workflow!, { action: 0, phase: 'Succeeded' });
    await svc.applyAgentEvent(workflow!, { action: 1, phase: 'Running' });
    advance(29_000);
    expect(await svc.enforceTimeouts()).toBe(0);
    advance(2_000);
    expect(await svc.enforceTimeouts()).toBe(1);
    const wf = await store.get<Workflow>('Workflow', workflow!);
    expect(wf.status!.phase).toBe('TimedOut');
    expect(wf.status!.actions[1].phase).toBe('TimedOut');
    expect((await state(store, 'm1')).state).toBe('Error');
    expect((await state(store, 'm1')).message).toMatch(/action "b" timed out after 30 s/);
    expect(notes.map((n) => n.level)).toEqual(['error']);
  });

  it('times out a whole workflow that never starts', async () => {
    const { store, svc, advance } = await setup();
    await svc.assign({ template: 't', machines: ['m2'] });
    advance(601_000);
    expect(await svc.enforceTimeouts()).toBe(1);
    expect((await state(store, 'm2')).message).toMatch(/workflow timed out after 600 s/);
  });

  it('reports ETA from the byte rate', async () => {
    const { store, svc, advance } = await setup();
    const [{ workflow }] = await svc.assign({ template: 't', machines: ['m1'] });
    await svc.applyAgentEvent(workflow!, { action: 0, phase: 'Running', bytesDone: 0, bytesTotal: 1000 });
    advance(10_000);
    await svc.applyAgentEvent(workflow!, { action: 0, phase: 'Running', bytesDone: 250 });
    const a = (await store.get<Workflow>('Workflow', workflow!)).status!.actions[0];
    expect(a.percent).toBe(25);
    expect(a.etaSeconds).toBe(30);
  });

  it('refuses reports for a finished workflow and for an action it does not have', async () => {
    const { svc } = await setup();
    const [{ workflow }] = await svc.assign({ template: 't', machines: ['m1'] });
    await expect(svc.applyAgentEvent(workflow!, { action: 5, phase: 'Running' })).rejects.toThrow(/has no action 5/);
    await svc.applyAgentEvent(workflow!, { action: 0, phase: 'Failed', message: 'disk gone' });
    await expect(svc.applyAgentEvent(workflow!, { action: 1, phase: 'Running' })).rejects.toThrow(/is Failed/);
  });

  it('manual resolution: mark ready, or cancel back to Registered', async () => {
    const { store, svc } = await setup();
    const res = await svc.assign({ template: 't', machines: ['m1', 'm2'] });
    for (const r of res) await svc.applyAgentEvent(r.workflow!, { action: 0, phase: 'Failed', message: 'x' });
    expect((await svc.resolve('m1', 'ready')).status!.state).toBe('Ready');
    expect((await svc.resolve('m2', 'cancel')).status!.state).toBe('Registered');
    expect((await state(store, 'm2')).currentWorkflow).toBeUndefined();
    await expect(svc.resolve('m2', 'ready')).rejects.toThrow(/cannot take event "markedReady"/);
  });

  it('marks machines whose agent went quiet', async () => {
    const { store, now } = await setup();
    expect(await markLostAgents(store, now() + 30_000)).toEqual([]);
    expect(await markLostAgents(store, now() + 100_000)).toEqual(['m1', 'm2']);
    expect((await state(store, 'm1')).conditions?.[0].type).toBe('AgentLost');
    expect(await markLostAgents(store, now() + 200_000)).toEqual([]);
  });
});
