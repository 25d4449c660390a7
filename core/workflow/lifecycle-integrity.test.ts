import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { WorkflowService, type Notification } from './workflow-service.ts';
import type { Hardware } from '../model/hardware.ts';
import type { Workflow } from '../model/workflow.ts';
import type { Store } from '../store/store.ts';
import { isDragonflyError } from '../shared/errors.ts';
import { discardLogger, type Logger } from '../shared/logger.ts';

// Issue 13's reproductions: a cancelled or replaced workflow must never move its machine.

async function setup() {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const store = createMemoryStore();
  const logs: string[] = [];
  const logger: Logger = { ...discardLogger, warn: (_o, msg) => void logs.push(msg ?? '') };
  const svc = new WorkflowService({ store, now: () => now, logger });
  await store.create({
    apiVersion: 'dragonfly.computer/v1',
    kind: 'Template',
    metadata: { name: 't' },
    spec: { timeoutSeconds: 600, actions: [{ name: 'a', type: 'reboot' }, { name: 'b', type: 'reboot' }] },
  });
  await store.create<Hardware>({
    apiVersion: 'dragonfly.computer/v1',
    kind: 'Hardware',
    metadata: { name: 'm1' },
    spec: { macs: ['52:54:00:00:00:01'] },
    status: { state: 'Registered' },
  });
  const notes: Notification[] = [];
  svc.on('notification', (n) => notes.push(n));
  return { store, svc, notes, logs, advance: (ms: number) => (now += ms) };
}

const machine = async (store: Store) => (await store.get<Hardware>('Hardware', 'm1')).status!;
const workflow = async (store: Store, name: string) => (await store.get<Workflow>('Workflow', name)).status!;

async function assign(svc: WorkflowService): Promise<string> {
  const [r] = await svc.assign({ template: 't', machines: ['m1'] });
  if (!r.workflow) throw new Error(`assignment failed: ${r.error?.message}`);
  return r.workflow;
}

async function errorOf(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a refusal');
}

describe('lifecycle integrity', () => {
  it('cancel marks the running workflow Cancelled and returns the machine to Registered with no workflow', async () => {
    const { store, svc } = await setup();
    const wf = await assign(svc);
    await svc.applyAgentEvent(wf, { action: 0, phase: 'Running' });
    await svc.cancel('m1');
    const s = await workflow(store, wf);
    expect(s.phase).toBe('Cancelled');
    expect(s.actions.map((a) => a.phase)).toEqual(['Cancelled', 'Pending']);
    expect(s.finishedAt).toBeDefined();
    const m = await machine(store);
    expect(m.state).toBe('Registered');
    expect(m.currentWorkflow).toBeUndefined();
    expect(m.bootHistory?.at(-1)).toMatchObject({ step: 'cancelled', detail: wf });
  });

  it("assign, cancel, re-assign: the old workflow's deadline passes and the machine stays on the new one, not in Error", async () => {
    const { store, svc, notes, advance } = await setup();
    const old = await assign(svc);
    await svc.applyAgentEvent(old, { action: 0, phase: 'Running' });
    advance(300_000);
    await svc.cancel('m1');
    const fresh = await assign(svc);
    advance(301_000 + 1000); // past the old workflow's 600 s, well inside the new one's
    expect(await svc.enforceTimeouts()).toBe(0);
    const m = await machine(store);
    expect(m.state).toBe('Assigned');
    expect(m.currentWorkflow).toBe(fresh);
    expect(m.message).toBeUndefined();
    expect((await workflow(store, old)).phase).toBe('Cancelled');
    expect(notes).toEqual([]);
  });

  it('a workflow left running by an older release times out on its own and leaves the machine alone', async () => {
    const { store, svc, logs, advance } = await setup();
    const old = await assign(svc);
    await svc.applyAgentEvent(old, { action: 0, phase: 'Running' });
    // What cancel used to do: the machine let go, the workflow still Running.
    const hw = await store.get<Hardware>('Hardware', 'm1');
    await store.update<Hardware>({ ...hw, status: { ...hw.status!, state: 'Registered', currentWorkflow: undefined } });
    const fresh = await assign(svc);
    advance(601_000);
    await svc.applyAgentEvent(fresh, { action: 0, phase: 'Running' }); // the new one started just now
    expect(await svc.enforceTimeouts()).toBe(1);
    expect((await workflow(store, old)).phase).toBe('TimedOut');
    const m = await machine(store);
    expect(m.state).toBe('Provisioning');
    expect(m.currentWorkflow).toBe(fresh);
    expect(logs.some((l) => l.includes(`${old} is not the current workflow of m1`))).toBe(true);
  });

  it("a late failure report from the old workflow's agent is refused as gone and changes nothing", async () => {
    const { store, svc, notes } = await setup();
    const old = await assign(svc);
    await svc.applyAgentEvent(old, { action: 0, phase: 'Running' });
    await svc.cancel('m1');
    const fresh = await assign(svc);
    const before = await store.get<Hardware>('Hardware', 'm1');
    const err = await errorOf(svc.applyAgentEvent(old, { action: 0, phase: 'Failed', message: 'disk vanished' }));
    expect(isDragonflyError(err, 'DF_ERR_GONE')).toBe(true);
    expect(err.message).toMatch(new RegExp(`workflow ${old} was cancelled; the report \\(action 0 Failed\\) was ignored`));
    const after = await store.get<Hardware>('Hardware', 'm1');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.status).toMatchObject({ state: 'Assigned', currentWorkflow: fresh });
    expect((await workflow(store, old)).phase).toBe('Cancelled');
    expect(notes).toEqual([]);
  });

  it('reports for a workflow that is not the machine\'s current one are refused even if it still says Running', async () => {
    const { store, svc } = await setup();
    const old = await assign(svc);
    const hw = await store.get<Hardware>('Hardware', 'm1');
    await store.update<Hardware>({ ...hw, status: { ...hw.status!, state: 'Registered', currentWorkflow: undefined } });
    const err = await errorOf(svc.applyAgentEvent(old, { action: 0, phase: 'Running' }));
    expect(err.message).toMatch(/is no longer the workflow of m1 \(it has none\)/);
    expect((await machine(store)).state).toBe('Registered');
    expect((await workflow(store, old)).phase).toBe('Pending');
  });

  it('retry of a workflow that is no longer current is refused and leaves it as it was', async () => {
    const { store, svc } = await setup();
    const old = await assign(svc);
    await svc.applyAgentEvent(old, { action: 0, phase: 'Failed', message: 'boom' });
    await svc.cancel('m1'); // from Error: the assignment is withdrawn, the reason of the failure is kept
    expect(await workflow(store, old)).toMatchObject({ phase: 'Cancelled', error: 'cancelled by an operator after: action "a" (reboot) failed: boom' });
    const err = await errorOf(svc.retry(old));
    expect(err.message).toMatch(/not the current workflow of m1 \(it has none\); assign the template again/);
    expect((await workflow(store, old)).phase).toBe('Cancelled');
    expect((await machine(store)).state).toBe('Registered');
  });

  it('cancel of a machine with nothing to cancel is refused and names the allowed events', async () => {
    const { store, svc } = await setup();
    const err = await errorOf(svc.cancel('m1'));
    expect(err.message).toMatch(/state Registered cannot take event "cancelled"/);
    expect((await machine(store)).state).toBe('Registered');
  });

  it('a heartbeat check tells the agent of a cancelled, a replaced and a timed-out workflow, and passes the current one', async () => {
    const { store, svc, advance } = await setup();
    const old = await assign(svc);
    expect(await svc.whyNotRunnable(await store.get<Workflow>('Workflow', old))).toBeUndefined();
    await svc.cancel('m1');
    expect(await svc.whyNotRunnable(await store.get<Workflow>('Workflow', old))).toBe(`workflow ${old} was cancelled`);
    const fresh = await assign(svc);
    advance(601_000);
    await svc.enforceTimeouts();
    expect(await svc.whyNotRunnable(await store.get<Workflow>('Workflow', fresh))).toMatch(/timed out on the control plane \(workflow timed out after 600 s\)/);
    expect((await machine(store)).state).toBe('Error');
  });
});
