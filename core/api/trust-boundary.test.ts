import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hardware } from '../model/hardware.ts';
import { createHarness, sampleTemplate, type Harness } from '../testing/api-harness.ts';

// Issue 14, item 6: the small holes, each reproduced as the attack and shown to do no harm now.
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

const yaml = { 'content-type': 'application/yaml' };

describe('YAML that the parser refuses', () => {
  it('an alias bomb is a 400 naming the alias limit, not a 500', async () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/apply', headers: { ...h.headers, ...yaml }, payload: bomb });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/malformed YAML: .*alias/i);
  });

  it('broken YAML is a 400 naming the problem', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/apply', headers: { ...h.headers, ...yaml }, payload: 'kind: [unclosed' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/malformed YAML/);
  });
});

describe('displayName', () => {
  const mac = '52:54:00:0d:00:01';
  let name = '';
  beforeAll(async () => {
    name = (await h.registrar.ensureDiscovered(mac)).metadata.name;
  });
  const patch = (displayName: string) =>
    h.app.inject({ method: 'PATCH', url: `/api/v1/hardware/${name}`, headers: h.headers, payload: { spec: { displayName } } });

  it('with a newline, or 900 KB long, is refused by the API and the stored name stays', async () => {
    const before = (await h.store.get('Hardware', name)).spec;
    const newline = await patch('Evil\nkernel http://attacker/x');
    expect(newline.statusCode).toBe(400);
    expect(newline.json().message).toMatch(/displayName/);
    const huge = await patch('x'.repeat(900 * 1024));
    expect(huge.statusCode).toBe(400);
    expect(huge.json().message).toMatch(/displayName.*100/);
    expect((await h.store.get('Hardware', name)).spec).toEqual(before);
    expect((await patch('Rack 4 – web ✓')).statusCode).toBe(200);
  });

  it('already stored with a newline (older data, a direct store write) cannot add lines to the iPXE script', async () => {
    const hw = await h.store.get<Hardware>('Hardware', name);
    hw.spec.displayName = 'Evil\nshell\n${net0/mac}';
    await h.store.update(hw);
    const res = await h.app.inject({ url: `/boot/ipxe?mac=${mac}` });
    expect(res.statusCode).toBe(200);
    const lines = res.body.split('\n');
    expect(lines[1]).toBe(`# Dragonfly boot script for Evil?shell??{net0/mac} (${mac}): discovery`);
    expect(lines.some((l) => l === 'shell')).toBe(false);
  });
});

describe('cookie-authenticated writes from another site (CSRF)', () => {
  let cookie = '';
  beforeAll(async () => {
    const login = await h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: h.password } });
    cookie = String(login.headers['set-cookie']).split(';')[0];
  });
  const here = { host: '127.0.0.1:8080' };
  const apply = (name: string, headers: Record<string, string>) =>
    h.app.inject({ method: 'POST', url: '/api/v1/apply', headers: { ...here, ...headers }, payload: JSON.stringify(sampleTemplate(name)) });
  const templates = async () => (await h.store.list('Template')).items.map((t) => t.metadata.name);

  it('text/plain YAML to /api/v1/apply with the cookie from another origin is refused and nothing is applied', async () => {
    const res = await apply('csrf-1', { cookie, origin: 'http://evil.example', 'content-type': 'text/plain' });
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toMatch(/cross-site write refused: the request came from http:\/\/evil\.example/);
    const sameHostOtherPort = await apply('csrf-2', { cookie, origin: 'http://127.0.0.1:9999', 'content-type': 'application/yaml' });
    expect(sameHostOtherPort.statusCode).toBe(403);
    const opaque = await apply('csrf-3', { cookie, origin: 'null', 'content-type': 'application/yaml' });
    expect(opaque.statusCode).toBe(403);
    const noOrigin = await apply('csrf-4', { cookie, 'content-type': 'application/yaml' });
    expect(noOrigin.statusCode).toBe(403);
    expect(noOrigin.json().message).toMatch(/must carry Origin or Referer/);
    const form = await h.app.inject({ method: 'DELETE', url: '/api/v1/tokens/x', headers: { ...here, cookie, referer: 'http://evil.example/page' } });
    expect(form.statusCode).toBe(403);
    const names = await templates();
    for (const n of ['csrf-1', 'csrf-2', 'csrf-3', 'csrf-4']) expect(names).not.toContain(n);
  });

  it('from this server, text/plain is still refused with the cookie; application/yaml is applied', async () => {
    const plain = await apply('csrf-5', { cookie, origin: 'http://127.0.0.1:8080', 'content-type': 'text/plain' });
    expect(plain.statusCode).toBe(403);
    expect(plain.json().message).toMatch(/may not be sent as text\/plain/);
    expect((await apply('csrf-6', { cookie, origin: 'http://127.0.0.1:8080', 'content-type': 'application/yaml' })).statusCode).toBe(200);
    expect((await apply('csrf-7', { cookie, referer: 'http://127.0.0.1:8080/ui/templates', 'content-type': 'application/yaml' })).statusCode).toBe(200);
    expect(await templates()).toEqual(expect.arrayContaining(['csrf-6', 'csrf-7']));
    expect(await templates()).not.toContain('csrf-5');
  });

  it('bearer-token requests are unaffected, and reads with the cookie need no Origin', async () => {
    const res = await apply('csrf-8', { ...h.headers, origin: 'http://evil.example', 'content-type': 'text/plain' });
    expect(res.statusCode).toBe(200);
    expect((await h.app.inject({ url: '/api/v1/templates', headers: { cookie } })).statusCode).toBe(200);
  });
});
