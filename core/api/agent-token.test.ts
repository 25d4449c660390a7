import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthService } from '../auth/auth-service.ts';
import { createHarness, sampleFacts, sampleTemplate, type Harness } from '../testing/api-harness.ts';

// The harness clock is ours: token lifetimes are driven, never waited for.
let now = Date.parse('2026-01-01T00:00:00Z');
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ auth: { now: () => now, agentSeconds: 3600 } });
  await h.app.inject({ method: 'POST', url: '/api/v1/templates', headers: h.headers, payload: sampleTemplate('debian-12') });
});
afterAll(async () => h.close());

let seq = 0;
/** A registered machine with the debian-12 template assigned: its agent token and workflow. */
async function assignedMachine() {
  seq++;
  const mac = `52:54:00:7a:00:${seq.toString(16).padStart(2, '0')}`;
  const facts = sampleFacts([mac], { dmi: { uuid: `7a7a7a7a-0000-0000-0000-0000000000${seq.toString(16).padStart(2, '0')}` } });
  const res = await h.app.inject({ method: 'POST', url: '/api/agent/v1/register', headers: { authorization: `Bearer ${h.auth.issueEnrolmentToken(mac)}` }, payload: { mac, facts } });
  expect(res.statusCode, res.body).toBe(200);
  const { hardware, agentToken } = res.json();
  const assign = await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'debian-12', machines: [hardware] } });
  const workflow = assign.json().results[0].workflow as string;
  expect(workflow, assign.body).toBeTruthy();
  // as the agent does: its next heartbeat exchanges the discovery token for one bound to the run
  const hb = await heartbeat(mac, { authorization: `Bearer ${agentToken as string}` });
  return { mac, hardware, workflow, agent: { authorization: `Bearer ${hb.json().agentToken as string}` } };
}

const fetchWorkflow = (name: string, headers: Record<string, string>) => h.app.inject({ url: `/api/agent/v1/workflows/${name}`, headers });
const heartbeat = (mac: string, headers: Record<string, string>) => h.app.inject({ method: 'POST', url: '/api/agent/v1/heartbeat', headers, payload: { mac } });

describe('agent tokens: short-lived, refreshed, revocable', () => {
  it('a revoked agent token is refused everywhere with 401; the machine can enrol again', async () => {
    const m = await assignedMachine();
    expect((await fetchWorkflow(m.workflow, m.agent)).statusCode).toBe(200);
    const revoke = await h.app.inject({ method: 'POST', url: `/api/v1/hardware/${m.hardware}/revoke-agent-tokens`, headers: h.headers });
    expect(revoke.statusCode, revoke.body).toBe(200);
    for (const res of [await fetchWorkflow(m.workflow, m.agent), await heartbeat(m.mac, m.agent)]) {
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toMatch(/revoked/);
    }
    const ev = await h.app.inject({ method: 'POST', url: `/api/agent/v1/workflows/${m.workflow}/events`, headers: m.agent, payload: { action: 0, phase: 'Succeeded' } });
    expect(ev.statusCode).toBe(401);
    const wf = (await h.app.inject({ url: `/api/v1/workflows/${m.workflow}`, headers: h.headers })).json();
    expect(wf.status.actions[0].phase).toBe('Pending');
    // a fresh enrolment (next boot) gets a token that works, even in the same millisecond
    const again = await h.app.inject({ method: 'POST', url: '/api/agent/v1/register', headers: { authorization: `Bearer ${h.auth.issueEnrolmentToken(m.mac)}` }, payload: { mac: m.mac, facts: sampleFacts([m.mac], { dmi: { uuid: '7a7a7a7a-0000-0000-0000-000000000001' } }) } });
    expect(again.statusCode, again.body).toBe(200);
    expect((await fetchWorkflow(m.workflow, { authorization: `Bearer ${again.json().agentToken}` })).statusCode).toBe(200);
  });

  it('revoking needs an operator and names an unknown machine', async () => {
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/hardware/ghost/revoke-agent-tokens', headers: h.headers })).statusCode).toBe(404);
    const m = await assignedMachine();
    expect((await h.app.inject({ method: 'POST', url: `/api/v1/hardware/${m.hardware}/revoke-agent-tokens`, headers: m.agent })).statusCode).toBe(401);
    expect((await fetchWorkflow(m.workflow, m.agent)).statusCode).toBe(200);
  });

  it('a heartbeat past half the lifetime hands out a fresh token; the old one expires, the fresh one goes on', async () => {
    const m = await assignedMachine();
    expect((await heartbeat(m.mac, m.agent)).json().agentToken).toBeUndefined();
    now += 1900_000; // past half of the 3600 s lifetime
    const hb = (await heartbeat(m.mac, m.agent)).json();
    expect(hb.agentToken).toMatch(/^dfa2\./);
    now += 1800_000; // the first token is now past its lifetime
    const old = await fetchWorkflow(m.workflow, m.agent);
    expect(old.statusCode).toBe(401);
    expect(old.json().message).toMatch(/expired/);
    expect((await fetchWorkflow(m.workflow, { authorization: `Bearer ${hb.agentToken}` })).statusCode).toBe(200);
  });

  it('an agent token of the old 7-day form is refused', async () => {
    const m = await assignedMachine();
    const res = await fetchWorkflow(m.workflow, { authorization: `Bearer ${m.agent.authorization.slice(7).replace(/^dfa2\./, 'dfa1.')}` });
    expect(res.statusCode).toBe(401);
  });
});

describe('the rendered workflow goes out only while it is the machine’s current run', () => {
  it('after the workflow finished (Ready), its variables are not handed out again: 410', async () => {
    const m = await assignedMachine();
    const ev = (action: number) =>
      h.app.inject({ method: 'POST', url: `/api/agent/v1/workflows/${m.workflow}/events`, headers: m.agent, payload: { action, phase: 'Succeeded' } });
    for (const a of [0, 1, 2]) expect((await ev(a)).statusCode).toBe(200);
    expect((await h.app.inject({ url: `/api/v1/hardware/${m.hardware}`, headers: h.headers })).json().status.state).toBe('Ready');
    const res = await fetchWorkflow(m.workflow, m.agent);
    expect(res.statusCode).toBe(410);
    expect(res.json().message).toMatch(/Succeeded/);
    // the run's token ends with it: the agent's next heartbeat is told to boot locally and gets
    // a token bound to no run; the run's own token is refused from then on
    const hb = await heartbeat(m.mac, m.agent);
    expect(hb.json()).toMatchObject({ next: { action: 'boot-local' }, agentToken: expect.stringMatching(/^dfa2\./) });
    const old = await heartbeat(m.mac, m.agent);
    expect(old.statusCode).toBe(401);
    expect(old.json().message).toMatch(/revoked/);
  });

  it('a cancelled run is not handed out, nor is the old run after a new assignment', async () => {
    const m = await assignedMachine();
    const cancel = await h.app.inject({ method: 'POST', url: `/api/v1/hardware/${m.hardware}/resolve`, headers: h.headers, payload: { as: 'cancel' } });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect((await fetchWorkflow(m.workflow, m.agent)).statusCode).toBe(410);
    const next = (await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'debian-12', machines: [m.hardware] } })).json().results[0].workflow;
    expect(next).toBeTruthy();
    const old = await fetchWorkflow(m.workflow, m.agent);
    expect(old.statusCode).toBe(410);
    expect(old.json().message).toMatch(/no longer the workflow|cancelled/);
    // the old run's token is not the new run's: refused, naming the run it was for
    const other = await fetchWorkflow(next, m.agent);
    expect(other.statusCode).toBe(403);
    expect(other.json().message).toContain(`this agent token is for run ${m.workflow}#1, not ${next}#1`);
    // the agent's next heartbeat exchanges it; the new token works, the old one is refused
    const hb = await heartbeat(m.mac, m.agent);
    expect(hb.json().next).toMatchObject({ action: 'run', workflow: next });
    expect((await fetchWorkflow(next, { authorization: `Bearer ${hb.json().agentToken}` })).statusCode).toBe(200);
    expect((await heartbeat(m.mac, m.agent)).statusCode).toBe(401);
  });

  it('a token issued while the machine had no run works for no run: the next run is 403 naming both, until a heartbeat hands out its token', async () => {
    seq++;
    const mac = `52:54:00:7a:00:${seq.toString(16).padStart(2, '0')}`;
    const facts = sampleFacts([mac], { dmi: { uuid: `7a7a7a7a-0000-0000-0000-0000000000${seq.toString(16).padStart(2, '0')}` } });
    const reg = await h.app.inject({ method: 'POST', url: '/api/agent/v1/register', headers: { authorization: `Bearer ${h.auth.issueEnrolmentToken(mac)}` }, payload: { mac, facts } });
    expect(reg.json().next).toMatchObject({ action: 'wait' });
    const discovery = { authorization: `Bearer ${reg.json().agentToken as string}` };
    const workflow = (await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'debian-12', machines: [reg.json().hardware] } })).json().results[0].workflow as string;
    const early = await fetchWorkflow(workflow, discovery);
    expect(early.statusCode).toBe(403);
    expect(early.json().message).toBe(`this agent token is for no run (issued while the machine had none), not ${workflow}#1; it works for that run only (a heartbeat hands out the current run's)`);
    const ev = await h.app.inject({ method: 'POST', url: `/api/agent/v1/workflows/${workflow}/events`, headers: discovery, payload: { action: 0, phase: 'Failed', message: 'forged' } });
    expect(ev.statusCode).toBe(403);
    expect((await h.app.inject({ url: `/api/v1/workflows/${workflow}`, headers: h.headers })).json().status.phase).toBe('Pending');
    const hb = (await heartbeat(mac, discovery)).json();
    expect(hb).toMatchObject({ next: { action: 'run', workflow, attempt: 1 }, agentToken: expect.stringMatching(/^dfa2\./) });
    expect((await fetchWorkflow(workflow, { authorization: `Bearer ${hb.agentToken as string}` })).statusCode).toBe(200);
  });

  it('events for another run are refused and change nothing', async () => {
    const m = await assignedMachine();
    const n = await assignedMachine();
    const ev = await h.app.inject({ method: 'POST', url: `/api/agent/v1/workflows/${n.workflow}/events`, headers: m.agent, payload: { action: 0, phase: 'Failed', message: 'forged' } });
    expect(ev.statusCode).toBe(403);
    const wf = (await h.app.inject({ url: `/api/v1/workflows/${n.workflow}`, headers: h.headers })).json();
    expect(wf.status.phase).toBe('Pending');
  });
});

describe('AuthService agent tokens', () => {
  it('revocation survives a restart (it is kept in auth.json)', async () => {
    const mac = '52:54:00:7a:ff:01';
    const token = h.auth.issueAgentToken(mac);
    now += 1;
    await h.auth.revokeAgentTokens(mac);
    const { auth } = await AuthService.open(h.dataDir, { now: () => now });
    expect(() => auth.verifyMachineToken(token)).toThrow(/revoked/);
    expect(auth.verifyMachineToken(auth.issueAgentToken(mac))).toBe(mac);
    expect(auth.verifyMachineToken(auth.issueEnrolmentToken(mac))).toBe(mac);
  });
});
