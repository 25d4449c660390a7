import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discardLogger } from '../shared/logger.ts';
import { defaults } from './config.ts';
import { createControlPlane, type ControlPlane } from './control-plane.ts';

// The real wiring: the operator API on the --listen address, the boot surface on the
// provisioning interface's address (here lo, 127.0.0.1, with the API on 127.0.0.2), and boot
// scripts naming the boot listener. DHCP and TFTP stay off: nothing leaves loopback.
let dir: string;
let cp: ControlPlane;
let port: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-listeners-'));
  cp = await createControlPlane({ dataDir: dir, backend: 'memory', httpPort: 0, listen: '127.0.0.2', interface: 'lo', dhcpMode: 'off', tftpPort: 0, logger: discardLogger });
  port = (cp.api.app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await cp?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('listeners of a control plane', () => {
  it('by default the operator API and UI listen on 127.0.0.1 only', () => {
    expect(defaults().listen).toBe('127.0.0.1');
  });

  it('the operator API is on --listen; the boot listener on the interface address, and boot scripts send machines there', async () => {
    expect(cp.url).toBe(`http://127.0.0.2:${port}`);
    expect((cp.api.app.server.address() as AddressInfo).address).toBe('127.0.0.2');
    expect((await cp.status()).services.boot).toEqual({ ok: true, detail: `127.0.0.1:${port} (boot routes only)` });
    const script = await (await fetch(`http://127.0.0.1:${port}/boot/ipxe?mac=52:54:00:b0:07:10`)).text();
    expect(script).toContain(`dragonfly.url=http://127.0.0.1:${port} `);
    const { token } = cp.adminSession();
    expect((await fetch(`http://127.0.0.1:${port}/api/v1/hardware`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
    expect((await fetch(`http://127.0.0.2:${port}/api/v1/hardware`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('choosing no interface in the settings closes the boot listener', async () => {
    const { token } = cp.adminSession();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const current = (await (await fetch(`${cp.url}/api/v1/settings/network`, { headers })).json()) as Record<string, unknown>;
    const res = await fetch(`${cp.url}/api/v1/settings/network`, { method: 'PUT', headers, body: JSON.stringify({ ...current, interface: undefined }) });
    expect(res.status, await res.text()).toBe(200);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    expect((await cp.status()).services.boot.detail).toMatch(/^off/);
  });
});
