import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, sampleTemplate, type Harness } from '../testing/api-harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ bodyLimit: 64 * 1024 });
});
afterAll(async () => h.close());

const hw = (name: string, mac: string) => ({ apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name, labels: { rack: 'r1' } }, spec: { macs: [mac] } });

describe('objects API', () => {
  it('creates, reads, lists by label, replaces with the version read, and refuses a stale version', async () => {
    const created = await h.app.inject({ method: 'POST', url: '/api/v1/hardware', headers: h.headers, payload: hw('m1', '52:54:00:00:00:01') });
    expect(created.statusCode).toBe(201);
    const v1 = created.json();
    expect(v1.metadata.uid).toBeTruthy();
    await h.app.inject({ method: 'POST', url: '/api/v1/hardware', headers: h.headers, payload: { ...hw('m2', '52:54:00:00:00:02'), metadata: { name: 'm2', labels: { rack: 'r2' } } } });
    const r1 = await h.app.inject({ url: '/api/v1/hardware?labelSelector=rack%3Dr1', headers: h.headers });
    expect(r1.json().items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['m1']);

    const upd = await h.app.inject({ method: 'PUT', url: '/api/v1/hardware/m1', headers: h.headers, payload: { ...v1, spec: { ...v1.spec, tags: ['gpu'] } } });
    expect(upd.statusCode).toBe(200);
    const stale = await h.app.inject({ method: 'PUT', url: '/api/v1/hardware/m1', headers: h.headers, payload: { ...v1, spec: { ...v1.spec, tags: ['other'] } } });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().message).toMatch(/changed by someone else/);
    const now = (await h.app.inject({ url: '/api/v1/hardware/m1', headers: h.headers })).json();
    expect(now.spec.tags).toEqual(['gpu']);
  });

  it('duplicate names are refused; unknown names are 404', async () => {
    const dup = await h.app.inject({ method: 'POST', url: '/api/v1/hardware', headers: h.headers, payload: hw('m1', '52:54:00:00:00:09') });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('DF_ERR_ALREADY_EXISTS');
    const missing = await h.app.inject({ url: '/api/v1/templates/nope', headers: h.headers });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toMatch(/Template "nope" not found/);
  });

  it('malformed JSON, unknown fields, wrong types and huge bodies are 4xx that name the problem', async () => {
    const bad = await h.app.inject({ method: 'POST', url: '/api/v1/hardware', headers: { ...h.headers, 'content-type': 'application/json' }, payload: '{"kind": ' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/JSON/i);
    const unknown = await h.app.inject({ method: 'POST', url: '/api/v1/hardware', headers: h.headers, payload: { ...hw('m5', '52:54:00:00:00:05'), spec: { macs: ['52:54:00:00:00:05'], color: 'x' } } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toMatch(/color/);
    const wrongType = await h.app.inject({ method: 'POST', url: '/api/v1/hardware', headers: h.headers, payload: { ...hw('m6', '52:54:00:00:00:06'), spec: { macs: 7 } } });
    expect(wrongType.json().message).toMatch(/\/spec\/macs/);
    const huge = await h.app.inject({ method: 'POST', url: '/api/v1/apply', headers: { ...h.headers, 'content-type': 'application/yaml' }, payload: 'x: ' + 'a'.repeat(100 * 1024) });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().message).toMatch(/too large/);
    const list = await h.app.inject({ url: '/api/v1/hardware', headers: h.headers });
    expect(list.json().items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['m1', 'm2']);
  });

  it('apply takes multi-document YAML, creates then updates, and writes nothing if any document is bad', async () => {
    const yaml = `apiVersion: dragonfly.computer/v1
kind: Template
metadata: {name: t1}
spec:
  actions:
    - {name: reboot, type: reboot}
---
apiVersion: dragonfly.computer/v1
kind: Template
metadata: {name: t2}
spec:
  actions:
    - {name: reboot, type: reboot}
`;
    const headers = { ...h.headers, 'content-type': 'application/yaml' };
    const first = await h.app.inject({ method: 'POST', url: '/api/v1/apply', headers, payload: yaml });
    expect(first.json().results.map((r: { action: string }) => r.action)).toEqual(['created', 'created']);
    const again = await h.app.inject({ method: 'POST', url: '/api/v1/apply', headers, payload: yaml });
    expect(again.json().results.map((r: { action: string }) => r.action)).toEqual(['unchanged', 'unchanged']);
    const changed = yaml.replace('metadata: {name: t2}\nspec:\n', 'metadata: {name: t2}\nspec:\n  description: second\n');
    const upd = await h.app.inject({ method: 'POST', url: '/api/v1/apply', headers, payload: changed });
    expect(upd.json().results.map((r: { action: string }) => r.action)).toEqual(['unchanged', 'updated']);

    const half = `${yaml}---\napiVersion: dragonfly.computer/v1\nkind: Template\nmetadata: {name: t3}\nspec:\n  actions:\n    - {name: x, type: explode}\n`.replace(/name: t1/, 'name: t4');
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/apply', headers, payload: half });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/object #3/);
    expect((await h.app.inject({ url: '/api/v1/templates/t4', headers: h.headers })).statusCode).toBe(404);

    const broken = await h.app.inject({ method: 'POST', url: '/api/v1/apply', headers, payload: 'kind: [unclosed' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().message).toMatch(/malformed YAML/);
  });

  it('templates are checked beyond the schema: explicit disk, defined variables, unique action names', async () => {
    const t = sampleTemplate('bad');
    const noDisk = structuredClone(t);
    (noDisk.spec.actions[0] as { disk: object }).disk = {};
    let res = await h.app.inject({ method: 'POST', url: '/api/v1/templates', headers: h.headers, payload: noDisk });
    expect(res.json().message).toMatch(/actions\/0\/disk: choose the disk in exactly one way/);
    const undef = structuredClone(t);
    (undef.spec.actions[1] as { content: string }).content = '{{ sshKey }}';
    res = await h.app.inject({ method: 'POST', url: '/api/v1/templates', headers: h.headers, payload: undef });
    expect(res.json().message).toMatch(/variable "sshKey" is not defined/);
    const noSum = structuredClone(t);
    delete (noSum.spec.actions[0] as { image: { checksum?: string } }).image.checksum;
    res = await h.app.inject({ method: 'POST', url: '/api/v1/templates', headers: h.headers, payload: noSum });
    expect(res.json().message).toMatch(/checksum/);
  });

  it('serves an OpenAPI document listing the routes', async () => {
    const doc = (await h.app.inject({ url: '/api/v1/openapi.json', headers: h.headers })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/api/v1/assign');
    expect(doc.paths['/healthz'].get.security).toEqual([]);
  });
});

describe('Flight mode: selections by label', () => {
  it('labels many machines at once and assigns by label selector, a result per machine', async () => {
    for (const [n, mac] of [['f1', '52:54:00:00:20:01'], ['f2', '52:54:00:00:20:02'], ['f3', '52:54:00:00:20:03']]) {
      await h.app.inject({ method: 'POST', url: '/api/v1/hardware', headers: h.headers, payload: { apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name: n }, spec: { macs: [mac] }, status: { state: 'Registered' } } });
    }
    const lab = await h.app.inject({ method: 'POST', url: '/api/v1/hardware/labels', headers: h.headers, payload: { machines: ['f1', 'f2', 'ghost'], set: { rack: 'r9' } } });
    expect(lab.json().results.map((r: { ok?: boolean; error?: { code: string } }) => r.ok ?? r.error?.code)).toEqual([true, true, 'DF_ERR_NOT_FOUND']);
    await h.app.inject({ method: 'POST', url: '/api/v1/templates', headers: h.headers, payload: sampleTemplate('flight') });
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'flight', labelSelector: 'rack=r9' } });
    expect(res.json().results.map((r: { machine: string }) => r.machine)).toEqual(['f1', 'f2']);
    const both = await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'flight', labelSelector: 'rack=r9', machines: ['f3'] } });
    expect(both.statusCode).toBe(400);
  });
});
