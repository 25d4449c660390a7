import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, sampleFacts, sampleTemplate, type Harness } from '../testing/api-harness.ts';

// Issue 13's reproductions through the HTTP API: status is a subresource, workflows come only
// from assignment, and a cancelled workflow's agent is told to stop and is not listened to.

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  const t = await h.app.inject({ method: 'POST', url: '/api/v1/templates', headers: h.headers, payload: sampleTemplate('debian-12') });
  expect(t.statusCode, t.body).toBe(201);
});
afterAll(async () => h.close());

const get = async (path: string) => (await h.app.inject({ url: path, headers: h.headers })).json();

/** A machine registered by its agent, as in the field; returns its name and agent token. */
async function registered(mac: string): Promise<{ name: string; token: string }> {
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/agent/v1/register',
    headers: { authorization: `Bearer ${h.auth.issueEnrolmentToken(mac)}` },
    // A DMI UUID of its own: the registrar knows a machine by it, whatever NIC it boots from.
    payload: { mac, facts: sampleFacts([mac], { dmi: { uuid: `13131313-0000-0000-0000-${mac.replace(/:/g, '')}` } }) },
  });
  expect(res.statusCode, res.body).toBe(200);
  return { name: res.json().hardware, token: res.json().agentToken };
}

async function assign(machine: string): Promise<string> {
  const res = await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'debian-12', machines: [machine] } });
  const wf = res.json().results[0].workflow;
  expect(wf, res.body).toBeTruthy();
  return wf;
}

describe('status is a subresource', () => {
  it('PUT of a Discovered machine with status Ready answers with the stored status, unchanged', async () => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/hardware',
      headers: h.headers,
      payload: { apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name: 'put-me' }, spec: { macs: ['52:54:00:13:00:01'] } },
    });
    expect(created.statusCode).toBe(201);
    const v1 = created.json();
    expect(v1.status).toEqual({ state: 'Discovered' });
    const put = await h.app.inject({ method: 'PUT', url: '/api/v1/hardware/put-me', headers: h.headers, payload: { ...v1, spec: { ...v1.spec, tags: ['gpu'] }, status: { state: 'Ready' } } });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().status).toEqual({ state: 'Discovered' });
    const stored = await get('/api/v1/hardware/put-me');
    expect(stored.status.state).toBe('Discovered');
    expect(stored.spec.tags).toEqual(['gpu']); // the spec part of the PUT did apply
  });

  it('POST and apply create a machine in its initial state whatever status the body carries', async () => {
    const body = (name: string, mac: string) => ({ apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name }, spec: { macs: [mac] }, status: { state: 'Ready', currentWorkflow: 'made-up' } });
    const posted = await h.app.inject({ method: 'POST', url: '/api/v1/hardware', headers: h.headers, payload: body('posted', '52:54:00:13:00:02') });
    expect(posted.json().status).toEqual({ state: 'Discovered' });
    const applied = await h.app.inject({ method: 'POST', url: '/api/v1/apply', headers: h.headers, payload: body('applied', '52:54:00:13:00:03') });
    expect(applied.json().results).toEqual([{ kind: 'Hardware', name: 'applied', action: 'created' }]);
    expect((await get('/api/v1/hardware/applied')).status).toEqual({ state: 'Discovered' });
  });

  it('apply over a provisioning machine changes its labels and spec, never its state or workflow', async () => {
    const { name } = await registered('52:54:00:13:00:04');
    const wf = await assign(name);
    const hw = await get(`/api/v1/hardware/${name}`);
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/apply',
      headers: h.headers,
      payload: { ...hw, metadata: { name, labels: { rack: 'r9' } }, spec: { ...hw.spec, tags: ['x'] }, status: { state: 'Ready' } },
    });
    expect(res.json().results[0].action).toBe('updated');
    const after = await get(`/api/v1/hardware/${name}`);
    expect(after.metadata.labels).toEqual({ rack: 'r9' });
    expect(after.status).toMatchObject({ state: 'Assigned', currentWorkflow: wf });
  });
});

describe('workflows come only from assignment', () => {
  const workflowBody = (templateRef: string, hardwareRef: string) => ({
    apiVersion: 'dragonfly.computer/v1',
    kind: 'Workflow',
    metadata: { name: `direct-${templateRef}` },
    spec: { hardwareRef, templateRef },
  });

  it('POST /api/v1/workflows for a missing template is a 400 pointing to assignment; nothing is created, the machine is untouched', async () => {
    const { name } = await registered('52:54:00:13:00:05');
    const before = await get(`/api/v1/hardware/${name}`);
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/workflows', headers: h.headers, payload: workflowBody('no-such-template', name) });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe(
      `Workflow direct-no-such-template: workflows are created by assignment, not written directly; POST /api/v1/assign {"template": "no-such-template", "machines": ["${name}"]}`,
    );
    expect((await get('/api/v1/workflows')).items.filter((w: { spec: { hardwareRef: string } }) => w.spec.hardwareRef === name)).toEqual([]);
    expect(await get(`/api/v1/hardware/${name}`)).toEqual(before);
  });

  it('POST of a workflow for a real template and machine, and apply of one, are refused the same way', async () => {
    const { name } = await registered('52:54:00:13:00:06');
    const post = await h.app.inject({ method: 'POST', url: '/api/v1/workflows', headers: h.headers, payload: workflowBody('debian-12', name) });
    expect(post.statusCode).toBe(400);
    const tpl = { ...sampleTemplate('written-with-it'), metadata: { name: 'written-with-it' } };
    const apply = await h.app.inject({ method: 'POST', url: '/api/v1/apply', headers: h.headers, payload: { items: [tpl, workflowBody('debian-12', name)] } });
    expect(apply.statusCode).toBe(400);
    expect(apply.json().message).toMatch(/workflows are created by assignment/);
    expect((await h.app.inject({ url: '/api/v1/templates/written-with-it', headers: h.headers })).statusCode).toBe(404); // all or nothing
    expect((await get(`/api/v1/hardware/${name}`)).status.state).toBe('Registered');
  });

  it("PUT may relabel an assigned workflow but not change its machine or template; its status stays the engine's", async () => {
    const { name } = await registered('52:54:00:13:00:07');
    const wfName = await assign(name);
    const wf = await get(`/api/v1/workflows/${wfName}`);
    const moved = await h.app.inject({ method: 'PUT', url: `/api/v1/workflows/${wfName}`, headers: h.headers, payload: { ...wf, spec: { ...wf.spec, templateRef: 'other' } } });
    expect(moved.statusCode).toBe(400);
    expect(moved.json().message).toMatch(/spec of a workflow is fixed at assignment/);
    const relabel = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/workflows/${wfName}`,
      headers: h.headers,
      payload: { ...wf, metadata: { ...wf.metadata, labels: { ...wf.metadata.labels, note: 'x' } }, status: { ...wf.status, phase: 'Succeeded' } },
    });
    expect(relabel.statusCode, relabel.body).toBe(200);
    expect(relabel.json().status.phase).toBe('Pending');
    expect(relabel.json().metadata.labels.note).toBe('x');
  });
});

describe('deleting a workflow', () => {
  it("is refused while it is the machine's current one, pointing to cancel; allowed once cancelled", async () => {
    const { name } = await registered('52:54:00:13:00:0b');
    const wf = await assign(name);
    const del = await h.app.inject({ method: 'DELETE', url: `/api/v1/workflows/${wf}`, headers: h.headers });
    expect(del.statusCode).toBe(409);
    expect(del.json().message).toBe(`workflow ${wf} is the current workflow of ${name}; cancel the assignment first (POST /api/v1/hardware/${name}/resolve {"as": "cancel"})`);
    expect((await get(`/api/v1/hardware/${name}`)).status.currentWorkflow).toBe(wf);
    await h.app.inject({ method: 'POST', url: `/api/v1/hardware/${name}/resolve`, headers: h.headers, payload: { as: 'cancel' } });
    expect((await h.app.inject({ method: 'DELETE', url: `/api/v1/workflows/${wf}`, headers: h.headers })).statusCode).toBe(204);
  });
});

describe('cancel through the API', () => {
  it('the agent of a cancelled workflow hears "cancelled" at its next heartbeat; its late failure report is 410 and moves nothing', async () => {
    const mac = '52:54:00:13:00:08';
    const { name, token } = await registered(mac);
    const auth = { authorization: `Bearer ${token}` };
    const runToken = () => auth.authorization;
    const old = await assign(name);
    // as the agent does, a heartbeat's fresh token replaces the one it holds
    const beat = async () => {
      const body = (await h.app.inject({ method: 'POST', url: '/api/agent/v1/heartbeat', headers: auth, payload: { mac, workflow: old } })).json();
      if (body.agentToken) auth.authorization = `Bearer ${body.agentToken}`;
      return body;
    };
    expect((await beat()).cancelled).toBeUndefined();
    const running = await h.app.inject({ method: 'POST', url: `/api/agent/v1/workflows/${old}/events`, headers: auth, payload: { action: 0, phase: 'Running' } });
    expect(running.statusCode).toBe(200);

    const cancel = await h.app.inject({ method: 'POST', url: `/api/v1/hardware/${name}/resolve`, headers: h.headers, payload: { as: 'cancel' } });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect((await get(`/api/v1/workflows/${old}`)).status.phase).toBe('Cancelled');
    const ofOldRun = runToken();
    expect(await beat()).toMatchObject({ next: { action: 'wait' }, cancelled: { workflow: old, reason: `workflow ${old} was cancelled` } });
    // the run's token ended with it: the heartbeat handed out another and refuses it from now on
    expect(runToken()).not.toBe(ofOldRun);
    expect((await h.app.inject({ method: 'POST', url: '/api/agent/v1/heartbeat', headers: { authorization: ofOldRun }, payload: { mac } })).statusCode).toBe(401);

    const fresh = await assign(name);
    expect(await beat()).toMatchObject({ next: { action: 'run', workflow: fresh }, cancelled: { workflow: old } });
    const late = await h.app.inject({ method: 'POST', url: `/api/agent/v1/workflows/${old}/events`, headers: auth, payload: { action: 0, phase: 'Failed', message: 'dd: I/O error' } });
    // the agent now holds the new run's token: a report for the old run is refused, naming both
    expect(late.statusCode).toBe(403);
    expect(late.json().message).toBe(`this agent token is for run ${fresh}#1, not ${old}#1; it works for that run only (a heartbeat hands out the current run's)`);
    expect((await get(`/api/v1/hardware/${name}`)).status).toMatchObject({ state: 'Assigned', currentWorkflow: fresh });
    expect((await get(`/api/v1/workflows/${fresh}`)).status.phase).toBe('Pending');
  });

  it('a heartbeat naming another machine\'s workflow is told to stop, and learns nothing more about it', async () => {
    const a = await registered('52:54:00:13:00:09');
    const b = await registered('52:54:00:13:00:0a');
    const wf = await assign(b.name);
    const res = await h.app.inject({ method: 'POST', url: '/api/agent/v1/heartbeat', headers: { authorization: `Bearer ${a.token}` }, payload: { mac: '52:54:00:13:00:09', workflow: wf } });
    expect(res.json().cancelled).toEqual({ workflow: wf, reason: `workflow ${wf} belongs to another machine` });
  });
});
