import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent } from './agent.ts';
import { AgentApi, type FetchFn } from './api.ts';
import { createHarness, sampleFacts, sampleTemplate, type Harness } from '../core/testing/api-harness.ts';

// The agent's own loop (agent/agent.ts, agent/api.ts) against the real API: agent tokens are
// bound to one run (issue 14), so the agent must take the token each heartbeat hands out. The
// stale lab image of an agent that did not showed this as a run stuck in Pending; this test
// catches it without QEMU. The runner stands in for the actions: it reports each as done.
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.app.inject({ method: 'POST', url: '/api/v1/templates', headers: h.headers, payload: sampleTemplate('debian-12') });
});
afterAll(async () => h.close());

const MAC = '52:54:00:a6:00:01';
const viaInject: FetchFn = async (url, init) => {
  const res = await h.app.inject({ method: 'POST', url: new URL(url).pathname, headers: init.headers as Record<string, string>, payload: String(init.body) });
  return new Response(res.body, { status: res.statusCode });
};
const state = async (name: string) => (await h.app.inject({ url: `/api/v1/hardware/${name}`, headers: h.headers })).json().status.state as string;

describe('the agent loop against the real API, tokens bound to runs', () => {
  it('discovery -> assignment -> every action reported -> Ready -> boot-local, with no token refused', async () => {
    const lines: string[] = [];
    let hardware = '';
    let beats = 0;
    let local = false;
    const refusals: string[] = [];
    await runAgent({
      params: { url: 'http://cp', token: h.auth.issueEnrolmentToken(MAC), mac: MAC, mode: 'discovery' },
      api: new AgentApi('http://cp', viaInject),
      facts: sampleFacts([MAC]),
      random: () => 0.5,
      say: (l) => void lines.push(l),
      reboot: async () => {},
      bootLocal: async () => void (local = true),
      // each heartbeat wait is where the operator acts: the first one assigns the template
      sleep: async () => {
        beats++;
        hardware ||= /\((\S+)\); heartbeat/.exec(lines.join('\n'))?.[1] ?? '';
        if (beats === 1) await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'debian-12', machines: [hardware] } });
      },
      runWorkflow: async (name, { api, token }) => {
        for (const action of [0, 1, 2]) {
          const res = await api.workflowEvent(token, name, { action, phase: 'Succeeded' });
          if (!res.ok) refusals.push(`${name} action ${action}: ${res.reason}`);
        }
      },
      stopped: () => local || beats > 10,
    });
    expect(refusals).toEqual([]);
    expect(lines.filter((l) => /refused|failed/.test(l))).toEqual([]);
    expect(await state(hardware)).toBe('Ready');
    expect(local).toBe(true);
  });
});
