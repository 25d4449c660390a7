import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AGENT_LOST_AFTER_MS, markLostAgents } from '../inventory/liveness.ts';
import type { Hardware } from '../model/hardware.ts';
import { createHarness, sampleFacts, type Harness } from '../testing/api-harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());
afterEach(() => vi.useRealTimers());

const MAC = '52:54:00:1f:00:01';
const T0 = Date.parse('2026-01-01T00:00:00Z');

async function register(): Promise<string> {
  const token = h.auth.issueEnrolmentToken(MAC);
  const res = await h.app.inject({ method: 'POST', url: '/api/agent/v1/register', headers: { authorization: `Bearer ${token}` }, payload: { mac: MAC, facts: sampleFacts([MAC]) } });
  expect(res.statusCode).toBe(200);
  return res.json().hardware;
}

describe('a machine that re-chains without its agent ever reporting', () => {
  it('is marked AgentLost although it fetches its boot script every 10 s', async () => {
    // Only Date is faked: the store and Fastify keep their real timers.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    const name = await register();
    // The agent dies; iPXE's retry loop asks for the script every 10 s from then on.
    for (let t = 10_000; t <= AGENT_LOST_AFTER_MS + 30_000; t += 10_000) {
      vi.setSystemTime(T0 + t);
      expect((await h.app.inject({ url: `/boot/ipxe?mac=${MAC}&platform=pcbios` })).statusCode).toBe(200);
    }
    const now = T0 + AGENT_LOST_AFTER_MS + 30_000;
    expect(await markLostAgents(h.store, now)).toEqual([name]);
    const hw = await h.store.get<Hardware>('Hardware', name);
    expect(hw.status?.conditions?.find((c) => c.type === 'AgentLost')?.message).toBe('no report from the agent since 2026-01-01T00:00:00.000Z');
    // The fetches are still on its timeline, so the operator sees what the machine is doing.
    expect(hw.status?.bootHistory?.filter((e) => e.step === 'script').length).toBeGreaterThanOrEqual(12);
  });
});
