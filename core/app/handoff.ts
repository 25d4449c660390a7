import { createCipheriv, createDecipheriv, createHash, privateDecrypt, publicEncrypt, randomBytes, constants } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kindNames, validateObject, type Kind } from '../model/kinds.ts';
import type { StoredObject } from '../model/meta.ts';
import type { Credential } from '../power/secrets/credential-store.ts';
import type { SecretStore } from '../power/secrets/secret-store.ts';
import { DragonflyError, isDragonflyError } from '../shared/errors.ts';
import type { Store } from '../store/store.ts';

/** Export format version; an import refuses a newer one. */
export const EXPORT_FORMAT = 1;

export interface SealedSecrets {
  /** RSA-OAEP(SHA-256) of a random AES-256 key, for the recipient's public key. */
  wrappedKey: string;
  iv: string;
  tag: string;
  /** AES-256-GCM of JSON {ref: Credential}. */
  data: string;
}

export interface ExportBundle {
  format: 'dragonfly-export';
  formatVersion: number;
  exportedAt: string;
  objects: StoredObject[];
  leases: unknown[];
  images: Array<{ file: string; bytes: number }>;
  /** Present only when a recipient key was given; otherwise secrets are left out. */
  secrets?: SealedSecrets;
  /** Secret template values, the same way (absent in exports written before they travelled). */
  templateSecrets?: SealedSecrets;
  /** sha256 over everything above, so a damaged file is refused whole. */
  checksum: string;
}

function digest(b: Omit<ExportBundle, 'checksum'>): string {
  return createHash('sha256').update(JSON.stringify(b)).digest('hex');
}

function sealFor(publicKeyPem: string, secrets: Record<string, Credential>): SealedSecrets {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([c.update(JSON.stringify(secrets)), c.final()]);
  const wrappedKey = publicEncrypt({ key: publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, key);
  return { wrappedKey: wrappedKey.toString('base64'), iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64'), data: data.toString('base64') };
}

function openSealed(privateKeyPem: string, s: SealedSecrets): Record<string, Credential> {
  try {
    const key = privateDecrypt({ key: privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(s.wrappedKey, 'base64'));
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(s.iv, 'base64'));
    d.setAuthTag(Buffer.from(s.tag, 'base64'));
    return JSON.parse(Buffer.concat([d.update(Buffer.from(s.data, 'base64')), d.final()]).toString('utf8'));
  } catch {
    throw new DragonflyError('DF_ERR_INVALID', 'the export\'s secrets cannot be opened with this private key (wrong key, or the file was altered)');
  }
}

export interface ExportSources {
  store: Store;
  dataDir?: string;
  /** BMC credentials: the instance's 0600 file, or the swarm's store (sealed in the backend). */
  credentials?: SecretStore;
  templateSecrets?: SecretStore;
  /** PEM public key of the receiving site; without it secrets are left out, never written in plain text. */
  recipientPublicKey?: string;
}

/** The whole state of one site in one JSON document. */
export async function exportState(src: ExportSources): Promise<ExportBundle> {
  const objects: StoredObject[] = [];
  for (const k of kindNames) objects.push(...(await src.store.list(k)).items);
  const leases = src.dataDir ? await readJson(join(src.dataDir, 'dhcp-leases.json')) : undefined;
  const body: Omit<ExportBundle, 'checksum'> = {
    format: 'dragonfly-export',
    formatVersion: EXPORT_FORMAT,
    exportedAt: new Date().toISOString(),
    objects,
    leases: Array.isArray(leases) ? leases : Array.isArray((leases as { leases?: unknown[] })?.leases) ? (leases as { leases: unknown[] }).leases : [],
    images: [],
  };
  if (src.recipientPublicKey && src.credentials) body.secrets = sealFor(src.recipientPublicKey, everything(src.credentials));
  if (src.recipientPublicKey && src.templateSecrets) body.templateSecrets = sealFor(src.recipientPublicKey, everything(src.templateSecrets));
  return { ...body, checksum: digest(body) };
}

const everything = (s: SecretStore): Record<string, Credential> => Object.fromEntries(s.refs().map((r) => [r, s.get(r)!]));

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Checks a bundle completely before anything is written. */
export function checkBundle(raw: unknown): ExportBundle {
  const b = raw as ExportBundle;
  if (!b || typeof b !== 'object' || b.format !== 'dragonfly-export') throw new DragonflyError('DF_ERR_INVALID', 'not a Dragonfly export (format field missing)');
  if (typeof b.formatVersion !== 'number' || b.formatVersion > EXPORT_FORMAT) {
    throw new DragonflyError('DF_ERR_INVALID', `export format version ${b.formatVersion} is newer than this Dragonfly understands (${EXPORT_FORMAT}); upgrade Dragonfly first`);
  }
  const { checksum, ...body } = b;
  if (digest(body) !== checksum) throw new DragonflyError('DF_ERR_INVALID', 'export checksum mismatch: the file is damaged or was edited; nothing imported');
  if (!Array.isArray(b.objects)) throw new DragonflyError('DF_ERR_INVALID', 'export has no object list');
  b.objects.forEach((o, i) => {
    try {
      validateObject(o);
    } catch (e) {
      throw new DragonflyError('DF_ERR_INVALID', `object #${i + 1} (${(o as StoredObject)?.kind}/${(o as StoredObject)?.metadata?.name}): ${(e as Error).message}`);
    }
  });
  return b;
}

export interface ImportTargets {
  store: Store;
  credentials?: SecretStore;
  templateSecrets?: SecretStore;
  privateKey?: string;
}

/**
 * Loads a bundle into another instance, on any backend. All or nothing: every object is
 * checked first, and if a write fails the objects this import created are removed again.
 */
export async function importState(raw: unknown, t: ImportTargets): Promise<{ created: number; skipped: number; secrets: number }> {
  const b = checkBundle(raw);
  const secrets = b.secrets && t.privateKey ? openSealed(t.privateKey, b.secrets) : undefined;
  const templateSecrets = b.templateSecrets && t.privateKey ? openSealed(t.privateKey, b.templateSecrets) : undefined;
  for (const o of b.objects) {
    const exists = await t.store.get(o.kind as Kind, o.metadata.name).then(() => true, (e) => (isDragonflyError(e, 'DF_ERR_NOT_FOUND') ? false : Promise.reject(e)));
    if (exists) throw new DragonflyError('DF_ERR_ALREADY_EXISTS', `${o.kind} "${o.metadata.name}" already exists in the target; import into an empty instance`);
  }
  const created: StoredObject[] = [];
  try {
    for (const o of b.objects) {
      const { uid: _u, resourceVersion: _r, creationTimestamp: _c, ...meta } = o.metadata;
      created.push(await t.store.create({ ...o, metadata: meta }));
    }
  } catch (e) {
    for (const o of created.reverse()) await t.store.delete(o.kind as Kind, o.metadata.name).catch(() => {});
    throw e;
  }
  let n = 0;
  for (const [sealed, to] of [[secrets, t.credentials], [templateSecrets, t.templateSecrets]] as const) {
    if (!sealed || !to) continue;
    for (const [ref, c] of Object.entries(sealed)) await to.set(ref, c);
    n += Object.keys(sealed).length;
  }
  return { created: created.length, skipped: 0, secrets: n };
}
