import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { kindNames } from '../model/kinds.ts';
import type { Logger } from '../shared/logger.ts';
import { createHarness, sampleFacts, sampleTemplate, type Harness } from '../testing/api-harness.ts';

const SECRET = 'S3cr3t-r00t-pa55 with \'quote';
const logLines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    logLines.push(chunk.toString());
    done();
  },
});

/** A template whose seed file carries the root password, kept as a secret variable. */
function secretTemplate(name: string) {
  const tpl = sampleTemplate(name) as ReturnType<typeof sampleTemplate> & { spec: { secretVariables?: string[] } };
  tpl.spec.secretVariables = ['rootPassword'];
  tpl.spec.actions[1] = { name: 'seed', type: 'writefile', disk: { path: '/dev/vda' }, partition: 1, path: '/root/pw.sh', content: 'PW={{ rootPassword }}\n', contentFormat: 'shell' } as never;
  return tpl;
}

let h: Harness;
beforeAll(async () => {
  // no redaction here: the secret must never be handed to the logger at all
  h = await createHarness({ logger: pino({ level: 'debug' }, sink) as unknown as Logger });
  const created = await h.app.inject({ method: 'POST', url: '/api/v1/templates', headers: h.headers, payload: secretTemplate('with-secret') });
  expect(created.statusCode, created.body).toBe(201);
});
afterAll(async () => h.close());

const put = (tpl: string, variable: string, value: unknown) =>
  h.app.inject({ method: 'PUT', url: `/api/v1/templates/${tpl}/secrets/${variable}`, headers: h.headers, payload: { value } });

let seq = 0;
async function registered() {
  seq++;
  const mac = `52:54:00:5e:00:0${seq}`;
  const facts = sampleFacts([mac], { dmi: { uuid: `5e5e5e5e-0000-0000-0000-00000000000${seq}` } });
  const res = await h.app.inject({ method: 'POST', url: '/api/agent/v1/register', headers: { authorization: `Bearer ${h.auth.issueEnrolmentToken(mac)}` }, payload: { mac, facts } });
  expect(res.statusCode, res.body).toBe(200);
  return { mac, hardware: res.json().hardware as string, agent: { authorization: `Bearer ${res.json().agentToken as string}` } };
}

/** As the agent does: the heartbeat after an assignment hands out the run's token, which it goes on with. */
async function heartbeat(m: { mac: string; agent: { authorization: string } }): Promise<void> {
  const res = await h.app.inject({ method: 'POST', url: '/api/agent/v1/heartbeat', headers: m.agent, payload: { mac: m.mac } });
  if (res.json().agentToken) m.agent.authorization = `Bearer ${res.json().agentToken as string}`;
}

describe('secret template variables', () => {
  it('a template may not carry a secret variable in clear', async () => {
    const tpl = secretTemplate('clear');
    (tpl.spec as { variables?: Record<string, string> }).variables = { rootPassword: 'oops' };
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/apply', headers: h.headers, payload: tpl });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/"rootPassword" is a secret variable.*PUT \/api\/v1\/templates\/<name>\/secrets\/rootPassword/);
  });

  it('a secret variable listed twice is refused', async () => {
    const tpl = secretTemplate('twice');
    tpl.spec.secretVariables = ['rootPassword', 'rootPassword'];
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/apply', headers: h.headers, payload: tpl });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/secretVariables\/1: "rootPassword" is listed twice/);
  });

  it('only a declared secret of an existing template can be put, with a non-empty value', async () => {
    expect((await put('nope', 'rootPassword', 'x')).statusCode).toBe(404);
    const undeclared = await put('with-secret', 'hostname', 'x');
    expect(undeclared.statusCode).toBe(400);
    expect(undeclared.json().message).toMatch(/declares no secret variable "hostname"/);
    expect((await put('with-secret', 'rootPassword', '')).statusCode).toBe(400);
    const anonymous = await h.app.inject({ method: 'PUT', url: '/api/v1/templates/with-secret/secrets/rootPassword', payload: { value: 'x' } });
    expect(anonymous.statusCode).toBe(401);
  });

  it('before a value is put, the agent is told which secret is missing and nothing is rendered', async () => {
    const m = await registered();
    const wf = (await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'with-secret', machines: [m.hardware] } })).json().results[0].workflow;
    await heartbeat(m);
    const res = await h.app.inject({ url: `/api/agent/v1/workflows/${wf}`, headers: m.agent });
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toMatch(/secret variable "rootPassword" of template with-secret has no value yet/);
    await h.app.inject({ method: 'POST', url: `/api/v1/hardware/${m.hardware}/resolve`, headers: h.headers, payload: { as: 'cancel' } });
  });

  it('is stored encrypted, rendered for the assigned machine’s current run, and never returned or logged', async () => {
    const res = await put('with-secret', 'rootPassword', SECRET);
    expect(res.statusCode, res.body).toBe(204);
    const listed = await h.app.inject({ url: '/api/v1/templates/with-secret/secrets', headers: h.headers });
    expect(listed.json()).toEqual({ items: [{ name: 'rootPassword', set: true }] });

    const owner = await registered();
    const intruder = await registered();
    const wf = (await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'with-secret', machines: [owner.hardware] } })).json().results[0].workflow;
    await heartbeat(owner);
    const rendered = await h.app.inject({ url: `/api/agent/v1/workflows/${wf}`, headers: owner.agent });
    expect(rendered.statusCode, rendered.body).toBe(200);
    expect(rendered.json().actions[1].content).toBe(`PW='S3cr3t-r00t-pa55 with '\\''quote'\n`);
    expect((await h.app.inject({ url: `/api/agent/v1/workflows/${wf}`, headers: intruder.agent })).statusCode).toBe(403);

    // every answer an operator (or the UI) can read, and everything kept in the object store
    const gets = ['/api/v1/templates', '/api/v1/templates/with-secret', '/api/v1/templates/with-secret/secrets', '/api/v1/workflows', `/api/v1/workflows/${wf}`, '/api/v1/hardware', '/api/v1/credentials', '/api/v1/openapi.json'];
    for (const url of gets) {
      const body = (await h.app.inject({ url, headers: h.headers })).body;
      expect(body, url).not.toContain('S3cr3t');
    }
    for (const kind of kindNames) expect(JSON.stringify(await h.store.list(kind)), kind).not.toContain('S3cr3t');
    const file = await readFile(join(h.dataDir, 'template-secrets.json'), 'utf8');
    expect(file).toContain('template/with-secret/rootPassword');
    expect(file).not.toContain('S3cr3t');
    expect(logLines.length).toBeGreaterThan(10); // the requests above were logged ...
    expect(logLines.join('')).not.toContain('S3cr3t'); // ... and no line carries the secret
  });

  it('once the run is over, even the owner’s agent cannot read the secret again', async () => {
    const m = await registered();
    const wf = (await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'with-secret', machines: [m.hardware] } })).json().results[0].workflow;
    await heartbeat(m);
    for (const action of [0, 1, 2]) {
      await h.app.inject({ method: 'POST', url: `/api/agent/v1/workflows/${wf}/events`, headers: m.agent, payload: { action, phase: 'Succeeded' } });
    }
    const res = await h.app.inject({ url: `/api/agent/v1/workflows/${wf}`, headers: m.agent });
    expect(res.statusCode).toBe(410);
    expect(res.body).not.toContain('S3cr3t');
  });

  it('a deleted value is gone: listed as unset, and the agent is told it is missing', async () => {
    expect((await h.app.inject({ method: 'DELETE', url: '/api/v1/templates/with-secret/secrets/rootPassword', headers: h.headers })).statusCode).toBe(204);
    expect((await h.app.inject({ url: '/api/v1/templates/with-secret/secrets', headers: h.headers })).json().items).toEqual([{ name: 'rootPassword', set: false }]);
    expect((await h.app.inject({ method: 'DELETE', url: '/api/v1/templates/with-secret/secrets/rootPassword', headers: h.headers })).statusCode).toBe(404);
  });
});

describe('deleting a template deletes its secrets', () => {
  const storedRefs = async () => Object.keys(JSON.parse(await readFile(join(h.dataDir, 'template-secrets.json'), 'utf8')).credentials as object);

  it('the value leaves the vault file; a template made again under the name has none', async () => {
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/templates', headers: h.headers, payload: secretTemplate('doomed') })).statusCode).toBe(201);
    expect((await put('doomed', 'rootPassword', SECRET)).statusCode).toBe(204);
    expect(await storedRefs()).toContain('template/doomed/rootPassword');
    expect((await h.app.inject({ method: 'DELETE', url: '/api/v1/templates/doomed', headers: h.headers })).statusCode).toBe(204);
    expect(await storedRefs()).not.toContain('template/doomed/rootPassword');
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/templates', headers: h.headers, payload: secretTemplate('doomed') })).statusCode).toBe(201);
    const listed = await h.app.inject({ url: '/api/v1/templates/doomed/secrets', headers: h.headers });
    expect(listed.json().items).toEqual([{ name: 'rootPassword', set: false }]);
  });
});
