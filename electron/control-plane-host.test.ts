import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../core/app/control-plane.ts';
import { resourcePaths, startControlPlaneHost, type DesktopHost } from './control-plane-host.ts';
import type { ChangeEventLike } from './tray-state.ts';

// The real control plane, in this process, as the desktop app runs it (memory store, loopback,
// a free port, no DHCP/TFTP).
const overrides = { backend: 'memory' as const, httpPort: 0, listen: '127.0.0.1', tftpPort: 0, dhcpMode: 'off' as const };

describe('startControlPlaneHost', () => {
  let host: DesktopHost | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await host?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    host = undefined;
    dir = undefined;
  });

  async function start(): Promise<DesktopHost> {
    dir = await mkdtemp(path.join(tmpdir(), 'df-electron-host-'));
    host = await startControlPlaneHost({ dataDir: dir, overrides });
    return host;
  }

  it('serves the API on a loopback URL and signs the local operator in without a password', async () => {
    const h = await start();
    expect(h.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const { token } = h.adminSession();
    const who = await fetch(`${h.url}/api/v1/auth/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect(who.status).toBe(200);
    expect((await fetch(`${h.url}/api/v1/auth/whoami`)).status).toBe(401);
  });

  it('reuses one session instead of minting a new one per call', async () => {
    const h = await start();
    expect(h.adminSession().token).toBe(h.adminSession().token);
  });

  it('reports existing machines first, then live changes', async () => {
    const h = await start();
    const seen: ChangeEventLike[] = [];
    const { initial, stop } = await h.watchFleet((e) => seen.push(e));
    expect(initial).toEqual([]);
    const token = h.adminSession().token;
    const res = await fetch(`${h.url}/api/v1/apply`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        apiVersion: 'dragonfly.computer/v1',
        kind: 'Hardware',
        metadata: { name: 'amber-falcon-orbit' },
        spec: { macs: ['52:54:00:12:34:56'], displayName: 'Amber Falcon Orbit' },
      }),
    });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    await expect.poll(() => seen.map((e) => `${e.type} ${e.kind} ${e.object.metadata.name}`)).toContain('ADDED Hardware amber-falcon-orbit');
    stop();
    const again = await h.watchFleet(() => {});
    expect(again.initial.map((e) => e.object.metadata.name)).toEqual(['amber-falcon-orbit']);
    again.stop();
  });

  it('closes once even when asked twice (quit then window-all-closed)', async () => {
    const h = await start();
    const url = h.url;
    await Promise.all([h.close(), h.close()]);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('falls back to a free port when the HTTP port is taken', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'df-electron-host-'));
    const ports: Array<number | undefined> = [];
    const fake = { url: 'http://127.0.0.1:1234/', events: { on() {}, off() {} }, close: async () => {} } as unknown as ControlPlane;
    host = await startControlPlaneHost({
      dataDir: dir,
      overrides: { httpPort: 8080 },
      create: async (c) => {
        ports.push(c?.httpPort);
        if (c?.httpPort === 8080) throw Object.assign(new Error('listen EADDRINUSE: address already in use 0.0.0.0:8080'), { code: 'EADDRINUSE' });
        return fake;
      },
    });
    expect(ports).toEqual([8080, 0]);
    expect(host.url).toBe('http://127.0.0.1:1234');
  });

  it('does not hide other start failures', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'df-electron-host-'));
    await expect(
      startControlPlaneHost({ dataDir: dir, create: async () => Promise.reject(Object.assign(new Error('store locked'), { code: 'DF_ERR_LOCKED' })) }),
    ).rejects.toThrow('store locked');
  });
});

describe('resourcePaths', () => {
  it('on Linux, the packaged app asks pkexec for the privileged helper it ships', () => {
    expect(resourcePaths('/opt/Dragonfly/resources', 'linux', {})).toEqual({
      ipxeDir: '/opt/Dragonfly/resources/ipxe',
      agentImageDir: '/opt/Dragonfly/resources/agent-image',
      privHelper: 'exec:pkexec /opt/Dragonfly/resources/privhelper/dragonfly-privhelper --stdio',
    });
  });

  it('leaves DRAGONFLY_PRIV_HELPER to win, and macOS and Windows without a helper', () => {
    expect(resourcePaths('/r', 'linux', { DRAGONFLY_PRIV_HELPER: 'unix:/run/x.sock' })).not.toHaveProperty('privHelper');
    expect(resourcePaths('/r', 'darwin', {})).not.toHaveProperty('privHelper');
    expect(resourcePaths('C:\\r', 'win32', {})).not.toHaveProperty('privHelper');
  });
});
