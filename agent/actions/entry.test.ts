import { describe, expect, it } from 'vitest';
import type { HardwareFacts } from '../../core/model/hardware.ts';
import { AgentApi } from '../api.ts';
import { checkWorkflow, createWorkflowRunner } from './entry.ts';
import type { Exec } from './exec.ts';

const facts: HardwareFacts = { cpu: { model: 't', sockets: 1, cores: 1, threads: 1 }, memoryBytes: 0, disks: [], nics: [], dmi: {}, firmware: 'bios' };

function controlPlane(workflowReply: () => Response) {
  const calls: { method: string; url: string; auth?: string; body?: unknown }[] = [];
  const fetchFn = async (url: string, init: RequestInit) => {
    const method = init.method ?? 'GET';
    calls.push({ method, url, auth: (init.headers as Record<string, string>).authorization, body: init.body ? JSON.parse(String(init.body)) : undefined });
    return method === 'GET' ? workflowReply() : new Response('{"phase":"Running"}', { status: 200 });
  };
  return { calls, fetchFn };
}

describe('createWorkflowRunner (the hook the agent loop calls)', () => {
  it('fetches the workflow with the agent token, runs it and reports every event to the control plane', async () => {
    const cp = controlPlane(() => Response.json({ name: 'wf-1', phase: 'Pending', startAt: 0, actions: [{ name: 'reboot', type: 'reboot' }] }));
    const execs: string[] = [];
    const exec: Exec = async (f, a) => (execs.push([f, ...a].join(' ')), { code: 0, stdout: '', stderr: '' });
    const run = createWorkflowRunner({ serverUrl: 'http://cp:8080', facts, fetch: cp.fetchFn, exec, sleep: async () => undefined });
    await run('wf-1', { api: new AgentApi('http://cp:8080', cp.fetchFn), token: 'tok', say: () => undefined });
    expect(cp.calls.map((c) => `${c.method} ${c.url} ${c.auth}`)).toEqual([
      'GET http://cp:8080/api/agent/v1/workflows/wf-1 Bearer tok',
      'POST http://cp:8080/api/agent/v1/workflows/wf-1/events Bearer tok',
      'POST http://cp:8080/api/agent/v1/workflows/wf-1/events Bearer tok',
    ]);
    expect(cp.calls.slice(1).map((c) => c.body)).toEqual([{ action: 0, phase: 'Running' }, { action: 0, phase: 'Succeeded' }]);
    expect(execs).toEqual(['sync', 'reboot -f']);
  });

  it('reports Failed on action 0 when the workflow cannot be had', async () => {
    const cp = controlPlane(() => new Response('{"message":"workflow wf-2 belongs to another machine"}', { status: 403 }));
    const lines: string[] = [];
    const run = createWorkflowRunner({ serverUrl: 'http://cp:8080', facts, fetch: cp.fetchFn, sleep: async () => undefined });
    await run('wf-2', { api: new AgentApi('http://cp:8080', cp.fetchFn), token: 't', say: (l) => lines.push(l) });
    expect(cp.calls.at(-1)?.body).toEqual({ action: 0, phase: 'Failed', message: expect.stringMatching(/HTTP 403 .*belongs to another machine/) });
    expect(lines[0]).toMatch(/^workflow wf-2: GET .* HTTP 403/);
  });

  it('stops at once when the control plane answers a report with 410 Gone: no retries, no action run', async () => {
    const calls: string[] = [];
    const fetchFn = async (url: string, init: RequestInit) => {
      calls.push(`${init.method ?? 'GET'} ${new URL(url).pathname}`);
      if ((init.method ?? 'GET') === 'GET') return Response.json({ name: 'wf-3', phase: 'Pending', startAt: 0, actions: [{ name: 'reboot', type: 'reboot' }] });
      return new Response('{"message":"workflow wf-3 was cancelled; the report (action 0 Running) was ignored"}', { status: 410 });
    };
    const execs: string[] = [];
    const lines: string[] = [];
    const exec: Exec = async (f) => (execs.push(f), { code: 0, stdout: '', stderr: '' });
    const run = createWorkflowRunner({ serverUrl: 'http://cp:8080', facts, fetch: fetchFn, exec, sleep: async () => undefined });
    await run('wf-3', { api: new AgentApi('http://cp:8080', fetchFn), token: 't', say: (l) => lines.push(l) });
    expect(calls).toEqual(['GET /api/agent/v1/workflows/wf-3', 'POST /api/agent/v1/workflows/wf-3/events']);
    expect(execs).toEqual([]);
    expect(lines.at(-1)).toBe('workflow wf-3: cancelled at action 1');
  });

  it('checks the workflow body by hand', () => {
    expect(checkWorkflow(null)).toBe('the workflow reply is not a JSON object');
    expect(checkWorkflow({ name: 'w', actions: [] })).toBe('workflow w has no actions');
    expect(checkWorkflow({ name: 'w', actions: [{ type: 'reboot' }] })).toBe('action 0 of workflow w has no name or type');
    expect(checkWorkflow({ name: 'w', startAt: 2, actions: [{ name: 'r', type: 'reboot' }] })).toMatchObject({ name: 'w', startAt: 2 });
  });
});
