import { describe, expect, it } from 'vitest';
import type { HardwareFacts } from '../core/model/hardware.ts';
import { runAgent, type WorkflowRunner } from './agent.ts';
import { AgentApi, type FetchFn } from './api.ts';

const facts: HardwareFacts = {
  cpu: { model: 'x', sockets: 1, cores: 1, threads: 1 }, memoryBytes: 1, disks: [], nics: [], dmi: {}, firmware: 'bios',
};
const REG = { hardware: 'hw-1', displayName: 'Amber Falcon Orbit', agentToken: 'agent-tok', next: { action: 'wait' }, heartbeatSeconds: 10 };

type Step = { status: number; body: unknown } | 'refused';

/** A scripted control plane: one step per request, in order; the agent stops when the script ends. */
/** A runner that fails every workflow at its first action, as a build without actions would. */
const failingRunner: WorkflowRunner = async (name, { api, token }) => {
  await api.workflowEvent(token, name, { action: 0, phase: 'Failed', message: 'no actions in this test build' });
};

function harness(steps: Step[], runner: WorkflowRunner = failingRunner) {
  const requests: Array<{ path: string; auth: string; body: unknown }> = [];
  const sleeps: number[] = [];
  const lines: string[] = [];
  const reboots: string[] = [];
  const fetchFn: FetchFn = async (url, init) => {
    requests.push({ path: new URL(url).pathname, auth: (init.headers as Record<string, string>).authorization, body: JSON.parse(String(init.body)) });
    const step = steps.shift()!;
    if (step === 'refused') throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    return new Response(typeof step.body === 'string' ? step.body : JSON.stringify(step.body), { status: step.status });
  };
  const run = () =>
    runAgent({
      params: { url: 'http://cp:8080', token: 'enrol-tok', mac: '52:54:00:00:00:01', mode: 'discovery' },
      api: new AgentApi('http://cp:8080', fetchFn),
      facts,
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.5,
      say: (l) => void lines.push(l),
      reboot: async () => void reboots.push('reboot'),
      bootLocal: async () => void reboots.push('boot-local'),
      runWorkflow: runner,
      stopped: () => steps.length === 0,
    });
  return { requests, sleeps, lines, reboots, run };
}

describe('agent loop', () => {
  it('registers with the enrolment token, then heartbeats with the agent token at the given interval', async () => {
    const h = harness([{ status: 200, body: REG }, { status: 200, body: { next: { action: 'wait' } } }, { status: 200, body: { next: { action: 'wait' } } }]);
    await h.run();
    expect(h.requests.map((r) => [r.path, r.auth])).toEqual([
      ['/api/agent/v1/register', 'Bearer enrol-tok'],
      ['/api/agent/v1/heartbeat', 'Bearer agent-tok'],
      ['/api/agent/v1/heartbeat', 'Bearer agent-tok'],
    ]);
    expect(h.requests[0].body).toEqual({ mac: '52:54:00:00:00:01', facts });
    expect(h.requests[1].body).toEqual({ mac: '52:54:00:00:00:01' });
    expect(h.sleeps).toEqual([10_000, 10_000]);
    expect(h.lines).toContain('registered as "Amber Falcon Orbit" (hw-1); heartbeat every 10 s');
  });

  it('uses the fresh agent token a heartbeat hands out from then on (tokens are short-lived)', async () => {
    const h = harness([
      { status: 200, body: REG },
      { status: 200, body: { next: { action: 'wait' }, agentToken: 'fresh-tok' } },
      { status: 200, body: { next: { action: 'wait' } } },
    ]);
    await h.run();
    expect(h.requests.map((r) => r.auth)).toEqual(['Bearer enrol-tok', 'Bearer agent-tok', 'Bearer fresh-tok']);
  });

  it('keeps retrying registration through refused connections, 5xx and garbage, backing off 1, 2, 4 s', async () => {
    const h = harness(['refused', { status: 502, body: 'Bad Gateway' }, { status: 200, body: '<html>' }, { status: 200, body: REG }]);
    await h.run();
    expect(h.sleeps).toEqual([1000, 2000, 4000]);
    expect(h.lines.filter((l) => l.startsWith('registration failed'))).toEqual([
      'registration failed: fetch failed (ECONNREFUSED); retrying in 1.0 s',
      'registration failed: HTTP 502: Bad Gateway; retrying in 2.0 s',
      'registration failed: unparsable reply (HTTP 200): <html>; retrying in 4.0 s',
    ]);
  });

  it('says the enrolment token may have expired when registration is refused, and keeps trying', async () => {
    const h = harness([{ status: 401, body: { message: 'token expired' } }, { status: 200, body: REG }]);
    await h.run();
    expect(h.lines).toContain('registration failed: enrolment token refused (it may have expired): HTTP 401: token expired; retrying in 1.0 s');
    expect(h.requests.map((r) => r.path)).toEqual(['/api/agent/v1/register', '/api/agent/v1/register']);
  });

  it('reboots for a fresh enrolment token after three refusals of registration in a row, saying why on the console', async () => {
    const spent = { status: 401, body: { code: 'DF_ERR_UNAUTHORIZED', message: 'enrolment token was already used', details: { refusal: 'spent' } } };
    const h = harness([spent, spent, spent]);
    await h.run();
    expect(h.reboots).toEqual(['reboot']);
    expect(h.sleeps).toEqual([1000, 2000]);
    expect(h.lines).toContain('registration failed: enrolment token refused (spent): HTTP 401: enrolment token was already used; retrying in 1.0 s');
    expect(h.lines).toContain('registration refused 3 times (enrolment token spent): HTTP 401: enrolment token was already used');
    expect(h.lines.at(-1)).toMatch(/^rebooting to boot from the network again/);
  });

  it('never reboots on network errors or 5xx, nor when they come between refusals and registration then succeeds', async () => {
    const refusedToken = { status: 401, body: { message: 'machine token expired', details: { refusal: 'expired' } } };
    const h = harness([refusedToken, 'refused', { status: 502, body: 'Bad Gateway' }, refusedToken, { status: 503, body: {} }, 'refused', { status: 200, body: REG }]);
    await h.run();
    expect(h.reboots).toEqual([]);
    expect(h.lines).toContain('registered as "Amber Falcon Orbit" (hw-1); heartbeat every 10 s');
  });

  it('when its machine is deleted mid-workflow, finishes the current action and only then reboots', async () => {
    const order: string[] = [];
    // A run whose action is half done when the refusals come: it ends that action, then stops.
    const runner: WorkflowRunner = (_name, ctx) =>
      new Promise((resolve) =>
        ctx.signal!.addEventListener('abort', () => {
          order.push('action 0 finished');
          resolve();
        }),
      );
    const gone = { status: 401, body: { message: 'no machine registered with MAC 52:54:00:00:00:01 (deleted?); enrol again', details: { refusal: 'no-machine' } } };
    const spent = { status: 401, body: { message: 'enrolment token was already used', details: { refusal: 'spent' } } };
    const h = harness([{ status: 200, body: { ...REG, next: { action: 'run', workflow: 'wf-7' } } }, gone, spent, spent, spent], runner);
    const reboot = h.run().then(() => order.push(...h.reboots));
    await reboot;
    expect(order).toEqual(['action 0 finished', 'reboot']);
    expect(h.lines).toContain('heartbeat refused: HTTP 401: no machine registered with MAC 52:54:00:00:00:01 (deleted?); enrol again; registering again');
    expect(h.lines).toContain('stopping workflow wf-7 after the current action before rebooting');
  });

  it('registers again when a heartbeat is refused', async () => {
    const h = harness([{ status: 200, body: REG }, { status: 403, body: { message: 'unknown agent token' } }, { status: 200, body: REG }]);
    await h.run();
    expect(h.requests.map((r) => r.path)).toEqual(['/api/agent/v1/register', '/api/agent/v1/heartbeat', '/api/agent/v1/register']);
    expect(h.lines).toContain('heartbeat refused: HTTP 403: unknown agent token; registering again');
  });

  it('backs off between failed heartbeats and returns to the normal interval after one succeeds', async () => {
    const ok = { status: 200, body: { next: { action: 'wait' } } };
    const h = harness([{ status: 200, body: REG }, { status: 500, body: {} }, { status: 500, body: {} }, ok, ok]);
    await h.run();
    expect(h.sleeps).toEqual([10_000, 1000, 2000, 10_000]);
  });

  it('runs a workflow once (its runner reports the failure), then reboots when told', async () => {
    const run = { status: 200, body: { next: { action: 'run', workflow: 'wf-7' } } };
    const h = harness([{ status: 200, body: REG }, run, { status: 200, body: {} }, run, { status: 200, body: { next: { action: 'reboot' } } }]);
    await h.run();
    const events = h.requests.filter((r) => r.path === '/api/agent/v1/workflows/wf-7/events');
    expect(events).toEqual([{ path: '/api/agent/v1/workflows/wf-7/events', auth: 'Bearer agent-tok', body: { action: 0, phase: 'Failed', message: 'no actions in this test build' } }]);
    expect(h.reboots).toEqual(['reboot']);
  });

  it('names its running workflow in each heartbeat and stops it when the reply says it was cancelled', async () => {
    const signals: AbortSignal[] = [];
    // A run that lasts until it is cancelled, like a long image write between two actions.
    const runner: WorkflowRunner = (_name, ctx) => {
      signals.push(ctx.signal!);
      return new Promise((resolve) => ctx.signal!.addEventListener('abort', () => resolve()));
    };
    const run = { status: 200, body: { next: { action: 'run', workflow: 'wf-7' } } };
    const cancelled = { status: 200, body: { next: { action: 'wait' }, cancelled: { workflow: 'wf-7', reason: 'workflow wf-7 was cancelled' } } };
    const h = harness([{ status: 200, body: { ...REG, next: run.body.next } }, run, cancelled, { status: 200, body: { next: { action: 'wait' } } }], runner);
    await h.run();
    const beats = h.requests.filter((r) => r.path === '/api/agent/v1/heartbeat');
    expect(beats[0].body).toEqual({ mac: '52:54:00:00:00:01', workflow: 'wf-7' });
    expect(beats[1].body).toEqual({ mac: '52:54:00:00:00:01', workflow: 'wf-7' });
    expect(signals).toHaveLength(1);
    expect(signals[0].aborted).toBe(true);
    expect(h.lines).toContain('workflow wf-7 cancelled by the control plane (workflow wf-7 was cancelled); stopping after the current action');
  });

  it('ignores a cancellation for a workflow it is not running', async () => {
    const signals: AbortSignal[] = [];
    const runner: WorkflowRunner = (_name, ctx) => (signals.push(ctx.signal!), new Promise(() => undefined));
    const other = { status: 200, body: { next: { action: 'run', workflow: 'wf-8' }, cancelled: { workflow: 'wf-1', reason: 'old' } } };
    const h = harness([{ status: 200, body: { ...REG, next: { action: 'run', workflow: 'wf-8' } } }, other], runner);
    await h.run();
    expect(signals[0].aborted).toBe(false);
  });

  it('hands the machine back to firmware on boot-local', async () => {
    const h = harness([{ status: 200, body: { ...REG, next: { action: 'boot-local' } } }]);
    await h.run();
    expect(h.reboots).toEqual(['boot-local']);
  });
});
