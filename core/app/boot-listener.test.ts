import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discardLogger } from '../shared/logger.ts';
import { createHarness, type Harness } from '../testing/api-harness.ts';
import { BootListener } from './boot-listener.ts';

// Two listeners on one app, over real sockets, as createControlPlane sets them up when the
// operator API is exposed on an office address: the operator listener (127.0.0.1 here) answers
// operator routes only, the boot listener (127.0.0.2, same port) boot routes only.
let h: Harness;
let boot: BootListener;
let port = 0;
const mac = '52:54:00:b0:07:01';

beforeAll(async () => {
  h = await createHarness({ surfaceOf: (raw) => boot.surfaceOf(raw, 'operator') });
  boot = new BootListener(() => h.app.routing.bind(h.app), discardLogger);
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  port = (h.app.server.address() as AddressInfo).port;
  await boot.moveTo('127.0.0.2', port);
});
afterAll(async () => {
  await boot.close();
  await h.close();
});

const get = (host: string, path: string, headers: Record<string, string> = {}) => fetch(`http://${host}:${port}${path}`, { headers });

describe('two listeners, two audiences', () => {
  it('the boot listener is up on its own address, same port', () => {
    expect(boot.health()).toEqual({ ok: true, detail: `127.0.0.2:${port} (boot routes only)` });
  });

  it('the boot listener answers boot routes and 404s every operator route, even with a valid token', async () => {
    const script = await get('127.0.0.2', `/boot/ipxe?mac=${mac}`);
    expect(script.status).toBe(200);
    expect(await script.text()).toMatch(/^#!ipxe/);
    for (const path of ['/api/v1/hardware', '/api/v1/auth/whoami', '/api/v1/openapi.json', '/', '/ui/x']) {
      const res = await get('127.0.0.2', path, h.headers);
      expect(res.status, path).toBe(404);
    }
    const login = await fetch(`http://127.0.0.2:${port}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: h.password }) });
    expect(login.status).toBe(404);
    expect((await get('127.0.0.2', '/healthz')).status).toBe(200);
  });

  it('the operator listener 404s the boot surface (scripts, images, agent API) and keeps its own routes', async () => {
    const before = (await h.store.list('Hardware')).items.length;
    for (const path of [`/boot/ipxe?mac=52:54:00:b0:07:02`, '/boot/autoexec.ipxe', '/images/x.raw.gz', '/api/agent/v1/heartbeat']) {
      expect((await get('127.0.0.1', path)).status, path).toBe(404);
    }
    expect((await h.store.list('Hardware')).items.length).toBe(before); // no machine was discovered through it
    expect((await get('127.0.0.1', '/api/v1/hardware')).status).toBe(401);
    expect((await get('127.0.0.1', '/api/v1/hardware', h.headers)).status).toBe(200);
    expect((await h.app.inject({ url: `/boot/ipxe?mac=${mac}` })).statusCode).toBe(404); // inject is not the boot listener either
  });

  it('moving to no address closes it; an address this host does not have is reported, not thrown', async () => {
    await boot.moveTo(undefined, port);
    await expect(get('127.0.0.2', '/healthz')).rejects.toThrow();
    await boot.moveTo('192.0.2.1', port); // TEST-NET-1: binding fails locally, nothing is sent
    expect(boot.health()).toMatchObject({ ok: false, error: expect.stringMatching(/boot listener could not bind 192\.0\.2\.1:\d+: EADDRNOTAVAIL/) });
    await boot.moveTo('127.0.0.2', port);
    expect((await get('127.0.0.2', `/boot/ipxe?mac=${mac}`)).status).toBe(200);
  });
});
