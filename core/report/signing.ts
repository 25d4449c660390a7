import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The report signing key: Ed25519, PKCS#8 PEM, readable by this user only. */
export const REPORT_KEY_FILE = 'report-signing-key.pem';

export interface ReportSigner {
  publicKey: string;
  fingerprint: string;
  sign(data: string): string;
}

/** SHA256: + unpadded base64 of the SHA-256 of the raw 32-byte key (the OpenSSH style people compare by eye). */
export function keyFingerprint(publicKey: KeyObject): string {
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
  return `SHA256:${createHash('sha256').update(raw).digest('base64').replace(/=+$/, '')}`;
}

/** The data directory's signing key; made on first use (exclusive create, mode 0600), so two processes agree on one key. */
export async function openReportSigner(dataDir: string): Promise<ReportSigner> {
  const file = join(dataDir, REPORT_KEY_FILE);
  const privateKey = createPrivateKey(await readOrCreate(file));
  const publicKey = createPublicKey(privateKey);
  return {
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    fingerprint: keyFingerprint(publicKey),
    sign: (data) => sign(null, Buffer.from(data, 'utf8'), privateKey).toString('base64'),
  };
}

async function readOrCreate(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  try {
    await writeFile(file, pem, { mode: 0o600, flag: 'wx' });
    return pem;
  } catch (e) {
    // Someone else created it between our read and our write: theirs is the key.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readFile(file, 'utf8');
    throw e;
  }
}

/** Whether `signature` (base64) over `data` was made by the key in `publicKey` (base64 SPKI DER); throws on a malformed key. */
export function verifySignature(data: string, signature: string, publicKey: string): boolean {
  const key = publicKeyFrom(publicKey);
  return verify(null, Buffer.from(data, 'utf8'), key, Buffer.from(signature, 'base64'));
}

export function publicKeyFrom(spkiBase64: string): KeyObject {
  const der = Buffer.from(spkiBase64, 'base64');
  const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError(`the public key is ${key.asymmetricKeyType}, not Ed25519`);
  // The DER parser ignores bytes after the key: only the exact encoding is this key.
  if (!key.export({ format: 'der', type: 'spki' }).equals(der)) throw new TypeError('the public key has bytes that are not part of its DER encoding');
  return key;
}
