import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPeers } from '../../testing/peers.ts';
import { PowerError } from '../driver.ts';
import { RedfishDriver, type RedfishDriverOptions } from './redfish-driver.ts';
import { makeSelfSignedCert, startRedfishTestServer, type RedfishTestServer } from './testing/test-server.ts';

const SYS = '/redfish/v1/Systems/437XR1138R2';
let server: RedfishTestServer;
const drivers: RedfishDriver[] = [];

function driver(opts: Partial<RedfishDriverOptions> = {}): RedfishDriver {
  const d = new RedfishDriver({ baseUrl: server.url, username: 'admin', password: 'secret', pollMs: 5, ...opts });
  drivers.push(d);
  return d;
}

const resetAction = () => (server.resources.get(SYS)!.Actions as Record<string, Record<string, unknown>>)['#ComputerSystem.Reset'];

describe('RedfishDriver over HTTP against the public-rackmount1 mockup', () => {
  beforeAll(async () => {
    server = await startRedfishTestServer({ extraSystems: 1 });
  });
  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((d) => d.close()));
  });
  afterAll(() => server.close());

  it('discovers the systems from the service root', async () => {
    const systems = await driver().systems();
    expect(systems.map((s) => s.id)).toEqual(['437XR1138R2', '437XR1138R2-2']);
    expect(systems[0]).toMatchObject({ odataId: SYS, name: 'WebFrontEnd483', uuid: '38947555-7742-3448-3784-823347823834' });
  });

  it('asks to choose when there are several systems', async () => {
    await expect(driver().status()).rejects.toThrow(/several Redfish systems \(437XR1138R2, 437XR1138R2-2\)/);
  });

  it('powers off, on, soft-off, resets and cycles with the ResetTypes the BMC allows', async () => {
    const d = driver({ system: '437XR1138R2' });
    server.resets.length = 0;
    expect(await d.status()).toBe('on');
    await d.off();
    expect(await d.status()).toBe('off');
    await d.on();
    expect(await d.status()).toBe('on');
    await d.softOff();
    expect(await d.status()).toBe('off');
    await d.on();
    await d.reset();
    await d.cycle(); // the mockup has no PowerCycle: ForceOff, wait for Off, then On
    expect(await d.status()).toBe('on');
    expect(server.resets.map((r) => r.resetType)).toEqual(['ForceOff', 'On', 'GracefulShutdown', 'On', 'ForceRestart', 'ForceOff', 'On']);
  });

  it('cycle of a system that is already off only powers it on', async () => {
    server.resources.get(SYS)!.PowerState = 'Off';
    server.resets.length = 0;
    await driver({ system: SYS }).cycle();
    expect(server.resets.map((r) => r.resetType)).toEqual(['On']);
  });

  it('uses PowerCycle when the BMC advertises it', async () => {
    const action = resetAction();
    const saved = action['ResetType@Redfish.AllowableValues'];
    action['ResetType@Redfish.AllowableValues'] = ['On', 'ForceOff', 'PowerCycle'];
    try {
      server.resets.length = 0;
      await driver({ system: SYS }).cycle();
      expect(server.resets.map((r) => r.resetType)).toEqual(['PowerCycle']);
    } finally {
      action['ResetType@Redfish.AllowableValues'] = saved;
    }
  });

  it('gives a clear error when no allowed ResetType fits, and sends nothing', async () => {
    const action = resetAction();
    const saved = action['ResetType@Redfish.AllowableValues'];
    action['ResetType@Redfish.AllowableValues'] = ['Nmi'];
    try {
      server.resets.length = 0;
      const err = await driver({ system: SYS }).off().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PowerError);
      expect((err as PowerError).message).toMatch(/allows ResetType \["Nmi"\], none of which does "off"/);
      expect(server.resets).toEqual([]);
    } finally {
      action['ResetType@Redfish.AllowableValues'] = saved;
    }
  });

  it('sets the next boot with If-Match and reads it back', async () => {
    const d = driver({ system: SYS });
    await d.setNextBoot({ device: 'pxe', persistent: true, uefi: false });
    expect(await d.bootOverride()).toEqual({ enabled: 'Continuous', target: 'Pxe', mode: 'Legacy' });
    await d.setNextBoot({ device: 'disk', persistent: false, uefi: true });
    expect(await d.bootOverride()).toEqual({ enabled: 'Once', target: 'Hdd', mode: 'UEFI' });
  });

  it('re-reads and retries once after 412 Precondition Failed', async () => {
    const d = driver({ system: SYS });
    await d.status();
    server.requests.length = 0;
    server.conflictNextPatches(1);
    await d.setNextBoot({ device: 'pxe', persistent: false, uefi: true });
    expect(server.requests.filter((r) => r.startsWith('PATCH'))).toHaveLength(2);
    expect(await d.bootOverride()).toMatchObject({ enabled: 'Once', target: 'Pxe' });
  });

  it('reports the BMC message when the retry conflicts again', async () => {
    server.conflictNextPatches(2);
    const err = await driver({ system: SYS }).setNextBoot({ device: 'disk', persistent: false, uefi: true }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('HTTP 412');
    expect((err as Error).message).toContain('The ETag supplied did not match the ETag required to change this resource.');
  });

  it('logs in with a session and deletes it on close', async () => {
    const d = driver({ system: SYS });
    await d.status();
    expect(server.sessions.size).toBe(1);
    await d.close();
    expect(server.sessions.size).toBe(0);
    expect(server.requests.at(-1)).toMatch(/^DELETE \/redfish\/v1\/SessionService\/Sessions\/[0-9a-f]+$/);
  });

  it('logs in again when the BMC expired the session', async () => {
    const d = driver({ system: SYS });
    await d.status();
    server.sessions.clear();
    expect(await d.status()).toBe('on');
    expect(server.sessions.size).toBe(1);
  });

  it('works with basic auth and creates no session', async () => {
    const before = server.sessions.size;
    expect(await driver({ system: SYS, auth: 'basic' }).status()).toBe('on');
    expect(server.sessions.size).toBe(before);
  });

  it('rejects bad credentials with DF_ERR_UNAUTHORIZED and the BMC message', async () => {
    for (const auth of ['session', 'basic'] as const) {
      const err = await driver({ system: SYS, auth, password: 'wrong' }).status().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'DF_ERR_UNAUTHORIZED', protocol: 'redfish' });
      expect((err as Error).message).toMatch(/HTTP 401/);
    }
  });
});

describeWithPeers(['openssl'], 'RedfishDriver over HTTPS with a self-signed certificate', () => {
  let dir: string;
  let certA: ReturnType<typeof makeSelfSignedCert>;
  let certB: ReturnType<typeof makeSelfSignedCert>;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfr-tls-'));
    certA = makeSelfSignedCert(dir, 'bmc-a.test');
    certB = makeSelfSignedCert(dir, 'bmc-b.test');
  });
  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((d) => d.close()));
    await server?.close();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('trusts the first certificate and reports its fingerprint for storage', async () => {
    server = await startRedfishTestServer({ tls: certA });
    const seen: string[] = [];
    const d = driver({ onFingerprint: (fp) => seen.push(fp) });
    expect(await d.status()).toBe('on');
    expect(seen).toEqual([certA.fingerprint]);
    expect(d.certificateFingerprint).toBe(certA.fingerprint);
  });

  it('accepts the pinned certificate, in any spelling of the fingerprint', async () => {
    server = await startRedfishTestServer({ tls: certA });
    const pinned = certA.fingerprint.replace(/:/g, '').toLowerCase();
    expect(await driver({ fingerprint: pinned }).status()).toBe('on');
  });

  it('refuses a changed certificate, names both fingerprints, and sends no credentials', async () => {
    server = await startRedfishTestServer({ tls: certB });
    const err = await driver({ fingerprint: certA.fingerprint, auth: 'basic' }).status().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PowerError);
    expect((err as Error).message).toContain(`pinned SHA-256 ${certA.fingerprint}`);
    expect((err as Error).message).toContain(`presented ${certB.fingerprint}`);
    expect(server.requests).toEqual([]);
  });
});
