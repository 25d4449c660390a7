import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CredentialStore } from '../power/secrets/credential-store.ts';
import { SecretBox } from '../power/secrets/secret-box.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { EXPORT_FORMAT, exportState, importState } from './handoff.ts';

const dir = mkdtempSync(join(tmpdir(), 'df-handoff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function fleet() {
  const store = createMemoryStore();
  await store.create({ apiVersion: 'dragonfly.computer/v1', kind: 'Template', metadata: { name: 'debian-12' }, spec: { actions: [{ name: 'reboot', type: 'reboot' }] } });
  for (let i = 1; i <= 3; i++) {
    await store.create({
      apiVersion: 'dragonfly.computer/v1',
      kind: 'Hardware',
      metadata: { name: `m${i}`, labels: { rack: 'r1' } },
      spec: { macs: [`52:54:00:00:00:0${i}`], bmc: { protocol: 'ipmi', address: `10.0.0.${i}`, credentialRef: 'bmc' } },
      status: { state: 'Ready', lastSeen: new Date().toISOString() },
    });
  }
  const credentials = new CredentialStore(join(dir, `src-${randomBytes(3).toString('hex')}.json`), new SecretBox(randomBytes(32)));
  credentials.set('bmc', { username: 'admin', secret: 'hunter2-bmc' });
  return { store, credentials };
}

describe('site hand-off: export → import', () => {
  it('round-trips a provisioned fleet, states included; secrets travel only sealed for the recipient', async () => {
    const src = await fleet();
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const bundle = await exportState({ ...src, recipientPublicKey: publicKey });
    expect(JSON.stringify(bundle)).not.toContain('hunter2-bmc');
    const plain = await exportState(src);
    expect(plain.secrets).toBeUndefined();

    const target = createMemoryStore();
    const creds = new CredentialStore(join(dir, 'dst.json'), new SecretBox(randomBytes(32)));
    const r = await importState(JSON.parse(JSON.stringify(bundle)), { store: target, credentials: creds, privateKey });
    expect(r).toEqual({ created: 4, skipped: 0, secrets: 1 });
    const hw = (await target.list('Hardware')).items;
    expect(hw.map((h) => [h.metadata.name, (h.status as { state: string }).state])).toEqual([
      ['m1', 'Ready'],
      ['m2', 'Ready'],
      ['m3', 'Ready'],
    ]);
    expect(creds.get('bmc')?.secret).toBe('hunter2-bmc');
  });

  it('refuses a damaged file, a newer format, and writes nothing', async () => {
    const src = await fleet();
    const bundle = await exportState(src);
    const target = createMemoryStore();
    const damaged = JSON.parse(JSON.stringify(bundle));
    damaged.objects[1].spec.macs = ['52:54:00:ff:ff:ff'];
    await expect(importState(damaged, { store: target })).rejects.toThrow(/checksum mismatch/);
    const newer = { ...bundle, formatVersion: EXPORT_FORMAT + 1 };
    await expect(importState(newer, { store: target })).rejects.toThrow(/newer than this Dragonfly/);
    await expect(importState({ hello: 1 }, { store: target })).rejects.toThrow(/not a Dragonfly export/);
    expect((await target.list('Hardware')).items).toHaveLength(0);
  });

  it('refuses to merge into an instance that already holds one of the objects, leaving it untouched', async () => {
    const src = await fleet();
    const bundle = await exportState(src);
    const target = createMemoryStore();
    await target.create({ apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name: 'm2' }, spec: { macs: ['52:54:00:00:00:99'] } });
    await expect(importState(bundle, { store: target })).rejects.toThrow(/Hardware "m2" already exists/);
    expect((await target.list('Hardware')).items.map((h) => h.metadata.name)).toEqual(['m2']);
  });
});
