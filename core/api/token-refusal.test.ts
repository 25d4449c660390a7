import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenRefused } from '../contract/agent.ts';
import { createHarness, sampleFacts, type Harness } from '../testing/api-harness.ts';
import { timelineOnClock } from '../testing/enrolment-clock.ts';

// Every refusal of a machine token says why in the error's details (core/contract TokenRefused),
// so the agent can tell the console and decide to boot again for a fresh enrolment token.
let now = Date.parse('2026-01-01T00:00:00Z');
let dhcpRuns = false;
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ auth: { now: () => now }, timeline: timelineOnClock(() => now, { dhcpRuns: () => dhcpRuns }) });
});
afterAll(async () => h.close());

let seq = 0;
const nextMac = () => `52:54:00:7b:00:${(++seq).toString(16).padStart(2, '0')}`;
const register = (mac: string, token: string, uuid = `uuid-${mac}`) =>
  h.app.inject({ method: 'POST', url: '/api/agent/v1/register', headers: { authorization: `Bearer ${token}` }, payload: { mac, facts: sampleFacts([mac], { dmi: { uuid } }) } });
const heartbeat = (mac: string, token: string) => h.app.inject({ method: 'POST', url: '/api/agent/v1/heartbeat', headers: { authorization: `Bearer ${token}` }, payload: { mac } });
const refusalOf = (res: { statusCode: number; body: string; json: () => { details?: TokenRefused } }) => {
  expect(res.statusCode, res.body).toBe(401);
  return res.json().details?.refusal;
};

describe('refused machine tokens say why (core/contract TokenRefused)', () => {
  it('spent: an enrolment token used again by another registration, minutes later', async () => {
    const mac = nextMac();
    const token = h.auth.issueEnrolmentToken(mac);
    expect((await register(mac, token)).statusCode).toBe(200);
    now += 3 * 60_000;
    expect(refusalOf(await register(mac, token))).toBe('spent');
  });

  it('expired: an enrolment token past its life', async () => {
    const mac = nextMac();
    const token = h.auth.issueEnrolmentToken(mac);
    now += 31 * 60_000;
    expect(refusalOf(await register(mac, token))).toBe('expired');
  });

  it('invalid: a forged token; revoked: an agent token an operator revoked', async () => {
    const mac = nextMac();
    const forged = h.auth.issueEnrolmentToken(mac).replace(/\.[^.]+$/, '.AAAA');
    expect(refusalOf(await register(mac, forged))).toBe('invalid');
    const reg = await register(mac, h.auth.issueEnrolmentToken(mac));
    await h.app.inject({ method: 'POST', url: `/api/v1/hardware/${reg.json().hardware}/revoke-agent-tokens`, headers: h.headers });
    expect(refusalOf(await heartbeat(mac, reg.json().agentToken))).toBe('revoked');
  });

  it('no-machine: the heartbeat of a machine that was deleted', async () => {
    const mac = nextMac();
    const reg = await register(mac, h.auth.issueEnrolmentToken(mac));
    expect((await h.app.inject({ method: 'DELETE', url: `/api/v1/hardware/${reg.json().hardware}`, headers: h.headers })).statusCode).toBeLessThan(300);
    const res = await heartbeat(mac, reg.json().agentToken);
    expect(refusalOf(res)).toBe('no-machine');
    expect(res.json().message).toMatch(/no machine registered with MAC .* \(deleted\?\); enrol again/);
  });

  it('unknown: with DHCP evidence required, a token this server has no record of issuing', async () => {
    dhcpRuns = true;
    try {
      const mac = nextMac();
      expect(refusalOf(await register(mac, h.auth.issueEnrolmentToken(mac)))).toBe('unknown');
    } finally {
      dhcpRuns = false;
    }
  });
});
