import { afterEach, describe, expect, it } from 'vitest';
import { runAgent } from './agent.ts';
import { AgentApi, type FetchFn } from './api.ts';
import { createHarness, sampleFacts, type Harness } from '../core/testing/api-harness.ts';
import { timelineOnClock } from '../core/testing/enrolment-clock.ts';

// The agent's own loop against the real API when an operator deletes its machine: the heartbeat
// is refused, the enrolment token on the kernel command line is spent, and the agent must go
// back to the network boot (a fresh token) instead of registering with it for ever. The
// enrolment gate's clock is ours: a delete minutes after the registration is driven, not waited for.
let h: Harness | undefined;
afterEach(async () => h?.close());

const MAC = '52:54:00:a6:0d:01';

/** The control plane in-process; `calls` gets the last path segment of each agent request. */
async function controlPlane(clock: { now: number }, calls: string[]) {
  h = await createHarness({ timeline: timelineOnClock(() => clock.now) });
  const harness = h;
  const viaInject: FetchFn = async (url, init) => {
    calls.push(new URL(url).pathname.split('/').at(-1)!);
    const res = await harness.app.inject({ method: 'POST', url: new URL(url).pathname, headers: init.headers as Record<string, string>, payload: String(init.body) });
    return new Response(res.body, { status: res.statusCode });
  };
  return { h: harness, api: new AgentApi('http://cp', viaInject) };
}

/** Runs the agent; at its first heartbeat wait the operator deletes the machine, `afterMs` after it registered. */
async function agentWhoseMachineIsDeleted(afterMs: number) {
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  const requests: string[] = [];
  const { h, api } = await controlPlane(clock, requests);
  const lines: string[] = [];
  let reboots = 0;
  let sleeps = 0;
  await runAgent({
    params: { url: 'http://cp', token: h.auth.issueEnrolmentToken(MAC), mac: MAC, mode: 'discovery' },
    api,
    facts: sampleFacts([MAC]),
    random: () => 0.5,
    say: (l) => void lines.push(l),
    reboot: async () => void reboots++,
    bootLocal: async () => {},
    runWorkflow: async () => {},
    sleep: async () => {
      if (sleeps++ > 0) return;
      const name = /\((\S+)\); heartbeat/.exec(lines.join('\n'))![1];
      clock.now += afterMs;
      const del = await h.app.inject({ method: 'DELETE', url: `/api/v1/hardware/${name}`, headers: h.headers });
      expect(del.statusCode, del.body).toBeLessThan(300);
    },
    stopped: () => reboots > 0 || sleeps > 20,
  });
  const machines = (await h.app.inject({ url: '/api/v1/hardware', headers: h.headers })).json().items as unknown[];
  return { lines, requests, reboots, machines };
}

describe('an agent whose machine is deleted while it heartbeats (real control plane)', () => {
  it('is refused at its heartbeat, then its spent enrolment token is refused, and it reboots for a fresh one', async () => {
    const r = await agentWhoseMachineIsDeleted(10 * 60_000);
    expect(r.reboots).toBe(1);
    expect(r.requests).toEqual(['register', 'heartbeat', 'register', 'register', 'register']);
    expect(r.lines).toContainEqual(expect.stringMatching(/^heartbeat refused: HTTP 401: no machine registered with MAC 52:54:00:a6:0d:01 \(deleted\?\)/));
    expect(r.lines).toContainEqual(expect.stringMatching(/^registration refused 3 times \(enrolment token spent\): HTTP 401: enrolment token for 52:54:00:a6:0d:01 was already used at 2026-01-01T00:00:00.000Z/));
    expect(r.lines.at(-1)).toMatch(/^rebooting to boot from the network again/);
    // the spent token enrolled nothing: the machine comes back only through a new boot
    expect(r.machines).toEqual([]);
  });

  it('deleted within the retry window of its registration, it registers again with the same token and does not reboot', async () => {
    const r = await agentWhoseMachineIsDeleted(30_000);
    expect(r.reboots).toBe(0);
    expect(r.requests.slice(0, 3)).toEqual(['register', 'heartbeat', 'register']);
    expect(r.machines).toHaveLength(1);
  });
});
