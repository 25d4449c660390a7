/**
 * Cross-check with a real Redfish client: Debian's redfishtool and our driver, talking to the
 * same test server (HTTPS, self-signed, session auth), must see the same systems, power
 * states and boot overrides, whichever of the two made the change.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPeers } from '../../testing/peers.ts';
import { RedfishDriver } from './redfish-driver.ts';
import { makeSelfSignedCert, startRedfishTestServer, type RedfishTestServer } from './testing/test-server.ts';

const run = promisify(execFile);

const ID = '437XR1138R2';
let server: RedfishTestServer;
let drv: RedfishDriver;
let dir: string;

async function redfishtool(...args: string[]): Promise<{ code: number; out: string }> {
  const base = ['-r', `127.0.0.1:${server.port}`, '-u', 'admin', '-p', 'secret', '-S', 'Always', '-A', 'Session'];
  try {
    const { stdout, stderr } = await run('redfishtool', [...base, ...args], { timeout: 20_000 });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

async function redfishtoolSystem(): Promise<Record<string, unknown>> {
  const r = await redfishtool('Systems', '-I', ID, 'get');
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as Record<string, unknown>;
}

describeWithPeers(['redfishtool', 'openssl'], 'driver and redfishtool agree', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfr-rft-'));
    server = await startRedfishTestServer({ tls: makeSelfSignedCert(dir), extraSystems: 1 });
    drv = new RedfishDriver({ baseUrl: server.url, username: 'admin', password: 'secret', system: ID, pollMs: 5 });
  });
  afterAll(async () => {
    await drv?.close();
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('list the same systems', async () => {
    const r = await redfishtool('Systems', 'list');
    const members = (JSON.parse(r.out) as { Members: { Id: string; '@odata.id': string }[] }).Members;
    const ours = await drv.systems();
    expect(ours.map((s) => [s.id, s.odataId])).toEqual(members.map((m) => [m.Id, m['@odata.id']]));
  });

  it('see the same power state after the driver powers off', async () => {
    expect((await redfishtoolSystem()).PowerState).toBe('On');
    expect(await drv.status()).toBe('on');
    await drv.off();
    expect((await redfishtoolSystem()).PowerState).toBe('Off');
  });

  it('see the same power state after redfishtool powers on', async () => {
    expect((await redfishtool('Systems', '-I', ID, 'reset', 'On')).code).toBe(0);
    expect(await drv.status()).toBe('on');
  });

  it('both find no PowerCycle; the driver cycles with ForceOff + On', async () => {
    const r = await redfishtool('Systems', '-I', ID, 'reset', 'PowerCycle');
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/not supported by the remote service/);
    server.resets.length = 0;
    await drv.cycle();
    expect(server.resets.map((x) => x.resetType)).toEqual(['ForceOff', 'On']);
    expect((await redfishtoolSystem()).PowerState).toBe('On');
  });

  it('see the boot override the driver set', async () => {
    await drv.setNextBoot({ device: 'pxe', persistent: true, uefi: false });
    expect((await redfishtoolSystem()).Boot).toMatchObject({
      BootSourceOverrideEnabled: 'Continuous',
      BootSourceOverrideTarget: 'Pxe',
      BootSourceOverrideMode: 'Legacy',
    });
  });

  it('see the boot override redfishtool set', async () => {
    expect((await redfishtool('Systems', '-I', ID, 'setBootOverride', 'Once', 'Hdd')).code).toBe(0);
    expect(await drv.bootOverride()).toEqual({ enabled: 'Once', target: 'Hdd', mode: 'Legacy' });
  });

  it('redfishtool logged out of every session it opened; ours is the only one left', () => {
    expect(server.sessions.size).toBe(1);
  });
});
