import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../workflow/workflow-service.ts';
import { createHarness, sampleFacts, sampleTemplate, type Harness } from '../testing/api-harness.ts';

let h: Harness;
const notes: Notification[] = [];
beforeAll(async () => {
  h = await createHarness();
  h.workflows.on('notification', (n) => notes.push(n));
  await h.app.inject({ method: 'POST', url: '/api/v1/templates', headers: h.headers, payload: sampleTemplate() });
});
afterAll(async () => h.close());

const setEnrolment = (enrolment: string) => h.app.inject({ method: 'PUT', url: '/api/v1/settings/enrolment', headers: h.headers, payload: { enrolment } });
async function register(mac: string, uuid: string) {
  const token = h.auth.issueEnrolmentToken(mac);
  return h.app.inject({ method: 'POST', url: '/api/agent/v1/register', headers: { authorization: `Bearer ${token}` }, payload: { mac, facts: sampleFacts([mac], { dmi: { uuid } }) } });
}
const assign = async (name: string) =>
  (await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'debian-12', machines: [name] } })).json().results[0];
const machine = async (name: string) => (await h.app.inject({ url: `/api/v1/hardware/${name}`, headers: h.headers })).json();

describe('enrolment: approve', () => {
  it('the setting defaults to open, takes approve, and names a bad value', async () => {
    expect((await h.app.inject({ url: '/api/v1/settings/enrolment', headers: h.headers })).json()).toEqual({ enrolment: 'open' });
    const bad = await setEnrolment('anyone');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/enrolment/);
    expect((await setEnrolment('approve')).json()).toEqual({ enrolment: 'approve' });
  });

  it('a new machine stays Discovered with its facts, cannot be assigned and is told to wait, until approved', async () => {
    const mac = '52:54:00:a9:00:01';
    const reg = await register(mac, 'a9000000-0000-0000-0000-000000000001');
    expect(reg.statusCode).toBe(200);
    const name = reg.json().hardware;
    const held = await machine(name);
    expect(held.status.state).toBe('Discovered');
    expect(held.spec.facts.cpu.threads).toBe(2);
    expect(held.status.conditions).toContainEqual(expect.objectContaining({ type: 'AwaitingApproval', status: 'True' }));
    expect(notes).toContainEqual(expect.objectContaining({ machine: name, title: expect.stringMatching(/awaits approval/) }));

    expect((await assign(name)).error.message).toMatch(/awaiting approval.*approve it first/);
    const wfs = (await h.app.inject({ url: '/api/v1/workflows', headers: h.headers })).json().items;
    expect(wfs.filter((w: { spec: { hardwareRef: string } }) => w.spec.hardwareRef === name)).toEqual([]);
    const agent = { authorization: `Bearer ${reg.json().agentToken}` };
    expect((await h.app.inject({ method: 'POST', url: '/api/agent/v1/heartbeat', headers: agent, payload: { mac } })).json().next.action).not.toBe('run');
    // Its agent re-registering (a reboot) does not let it through either.
    expect((await machine((await register(mac, 'a9000000-0000-0000-0000-000000000001')).json().hardware)).status.state).toBe('Discovered');

    const approved = await h.app.inject({ method: 'POST', url: `/api/v1/hardware/${name}/approve`, headers: h.headers });
    expect(approved.json().status.state).toBe('Registered');
    expect(approved.json().status.conditions ?? []).not.toContainEqual(expect.objectContaining({ type: 'AwaitingApproval' }));
    const twice = await h.app.inject({ method: 'POST', url: `/api/v1/hardware/${name}/approve`, headers: h.headers });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().message).toMatch(/not awaiting approval/);
    expect((await assign(name)).workflow).toBeTruthy();
  });

  it('machines registered before approve was switched on are not held; open lets new ones straight through', async () => {
    await setEnrolment('open');
    const name = (await register('52:54:00:a9:00:02', 'a9000000-0000-0000-0000-000000000002')).json().hardware;
    expect((await machine(name)).status.state).toBe('Registered');
    await setEnrolment('approve');
    expect((await machine((await register('52:54:00:a9:00:02', 'a9000000-0000-0000-0000-000000000002')).json().hardware)).status.state).toBe('Registered');
  });
});
