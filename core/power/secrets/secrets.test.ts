import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialStore } from './credential-store.ts';
import { FileKeyProvider, SafeStorageKeyProvider, type SafeStorageLike } from './key-provider.ts';
import { credentialRedactPaths, REDACTED, redactSecrets } from './redact.ts';
import { SecretBox } from './secret-box.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfr-secrets-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const PASSWORD = 'Hunter2-BMC-p@ss';

describe('FileKeyProvider', () => {
  it('creates a 0600 key file on first start and returns the same key after', async () => {
    const p = new FileKeyProvider(path.join(dir, 'data'));
    const k1 = await p.getKey();
    expect(k1.length).toBe(32);
    expect(fs.statSync(path.join(dir, 'data', 'secrets.key')).mode & 0o777).toBe(0o600);
    expect((await new FileKeyProvider(path.join(dir, 'data')).getKey()).equals(k1)).toBe(true);
  });

  it.skipIf(process.platform === 'win32')('refuses a key file others can read, saying how to fix it', async () => {
    const p = new FileKeyProvider(dir);
    await p.getKey();
    fs.chmodSync(path.join(dir, 'secrets.key'), 0o644);
    await expect(p.getKey()).rejects.toThrow(/mode 0644; it must be readable by its owner only \(chmod 600/);
  });

  it('refuses a key file that does not hold 32 bytes', async () => {
    fs.writeFileSync(path.join(dir, 'secrets.key'), 'c2hvcnQ=\n', { mode: 0o600 });
    await expect(new FileKeyProvider(dir).getKey()).rejects.toThrow(/does not hold a 32-byte key \(found 5 bytes\)/);
  });
});

describe('SecretBox', () => {
  it('round-trips and never shows the plaintext', async () => {
    const box = await SecretBox.open(new FileKeyProvider(dir));
    const sealed = box.seal(PASSWORD, 'hw/node1');
    expect(sealed).not.toContain(PASSWORD);
    expect(box.open(sealed, 'hw/node1')).toBe(PASSWORD);
    expect(box.seal(PASSWORD, 'hw/node1')).not.toBe(sealed); // fresh nonce each time
  });

  it('a wrong key gives a clear error naming both key ids', () => {
    const a = new SecretBox(randomBytes(32), 'key file A');
    const b = new SecretBox(randomBytes(32), 'key file B');
    const sealed = a.seal(PASSWORD);
    expect(() => b.open(sealed)).toThrow(`secret was encrypted with key ${a.keyId} but key file B is key ${b.keyId}: wrong key`);
  });

  it('detects altered data and a ciphertext moved to another record', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal(PASSWORD, 'hw/node1');
    const last = sealed.at(-2) === 'A' ? 'B' : 'A';
    const altered = sealed.slice(0, -2) + last + sealed.slice(-1);
    expect(() => box.open(altered, 'hw/node1')).toThrow(/failed authentication/);
    expect(() => box.open(sealed, 'hw/node2')).toThrow(/belongs to another record than "hw\/node2"/);
    expect(() => box.open('plain text')).toThrow(/not a sealed secret/);
  });
});

describe('CredentialStore', () => {
  it('keeps the file 0600 and free of any plaintext', async () => {
    const file = path.join(dir, 'credentials.json');
    const store = new CredentialStore(file, await SecretBox.open(new FileKeyProvider(dir)));
    store.set('hw/node1/bmc', { username: 'admin-user-x', secret: PASSWORD });
    store.set('proxmox/pve1', { username: 'root@pam!dragonfly', secret: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' });
    const text = fs.readFileSync(file, 'utf8');
    for (const plain of [PASSWORD, 'admin-user-x', 'aaaaaaaa-bbbb', 'dragonfly']) expect(text).not.toContain(plain);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(store.get('hw/node1/bmc')).toEqual({ username: 'admin-user-x', secret: PASSWORD });
    expect(store.refs()).toEqual(['hw/node1/bmc', 'proxmox/pve1']);
    expect(store.delete('proxmox/pve1')).toBe(true);
    expect(store.get('proxmox/pve1')).toBeUndefined();
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('cannot be read with another key file', async () => {
    const file = path.join(dir, 'credentials.json');
    new CredentialStore(file, await SecretBox.open(new FileKeyProvider(dir, 'a.key'))).set('x', { secret: PASSWORD });
    const other = new CredentialStore(file, await SecretBox.open(new FileKeyProvider(dir, 'b.key')));
    expect(() => other.get('x')).toThrow(/wrong key/);
  });
});

describe('SafeStorageKeyProvider', () => {
  // Stands in for Electron's safeStorage: a wrap key the OS would hold.
  const osKey = randomBytes(32);
  const fakeSafeStorage: SafeStorageLike = {
    isEncryptionAvailable: () => true,
    encryptString: (s) => {
      const iv = randomBytes(16);
      const c = createCipheriv('aes-256-cbc', osKey, iv);
      return Buffer.concat([iv, c.update(s, 'utf8'), c.final()]);
    },
    decryptString: (b) => {
      const d = createDecipheriv('aes-256-cbc', osKey, b.subarray(0, 16));
      return Buffer.concat([d.update(b.subarray(16)), d.final()]).toString('utf8');
    },
  };

  it('stores only the wrapped key and gives the same key back', async () => {
    const file = path.join(dir, 'secrets.key.wrapped');
    const key = await new SafeStorageKeyProvider(fakeSafeStorage, file).getKey();
    expect((await new SafeStorageKeyProvider(fakeSafeStorage, file).getKey()).equals(key)).toBe(true);
    expect(fs.readFileSync(file).includes(Buffer.from(key.toString('base64')))).toBe(false);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('says so when the OS secret store is unavailable', async () => {
    const p = new SafeStorageKeyProvider({ ...fakeSafeStorage, isEncryptionAvailable: () => false }, path.join(dir, 'k'));
    await expect(p.getKey()).rejects.toThrow(/safeStorage\) is not available/);
  });
});

describe('redaction', () => {
  it('redactSecrets hides credentials at any depth and leaves the rest', () => {
    const input = {
      name: 'node1',
      bmc: { address: '10.0.0.5', username: 'admin', password: PASSWORD, url: `https://admin:${PASSWORD}@10.0.0.5/redfish` },
      headers: { Authorization: 'PVEAPIToken=root@pam!df=secret-uuid', 'X-Auth-Token': 'tok' },
      list: [{ token: 'abc' }],
    };
    const out = redactSecrets(input);
    expect(JSON.stringify(out)).not.toContain(PASSWORD);
    expect(JSON.stringify(out)).not.toContain('secret-uuid');
    expect(out.bmc).toEqual({ address: '10.0.0.5', username: 'admin', password: REDACTED, url: `https://admin:${REDACTED}@10.0.0.5/redfish` });
    expect(out.headers['X-Auth-Token']).toBe(REDACTED);
    expect(out.list[0].token).toBe(REDACTED);
    expect(input.bmc.password).toBe(PASSWORD); // the original is untouched
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { password: 'x' };
    a.self = a;
    const out = redactSecrets(a) as Record<string, unknown>;
    expect(out.password).toBe(REDACTED);
    expect(out.self).toBe(out);
  });

  it('pino with credentialRedactPaths prints no credential', () => {
    let printed = '';
    const sink = new Writable({ write: (chunk, _enc, cb) => ((printed += String(chunk)), cb()) });
    const log = pino({ redact: { paths: credentialRedactPaths, censor: REDACTED } }, sink);
    log.info({ password: PASSWORD, bmc: { password: PASSWORD }, hw: { bmc: { password: PASSWORD } }, req: { headers: { authorization: `Basic ${PASSWORD}` } } }, 'x');
    log.info({ headers: { 'x-auth-token': PASSWORD }, proxmox: { apiToken: PASSWORD } }, 'y');
    expect(printed).not.toContain(PASSWORD);
    expect(printed.match(/\[REDACTED\]/g)).toHaveLength(6);
  });
});
