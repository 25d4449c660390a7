/**
 * The swarm data key: one AES-256 key under which every secret in the shared backend is
 * sealed. The backend never holds it in clear. Each instance keeps it sealed by its own key
 * (the 0600 key file or the OS keychain, a KeyProvider) in <dataDir>/swarm-data-key.
 *
 * Backend entries (SharedKv, under /dragonfly/swarm/):
 * - "keyring": { keyId }: which key is current.
 * - "keyring-next": { keyId, previous: { keyId, sealedNext } }: after a rotation, the new key
 *   sealed under the old one, so running members follow and one that was down catches up.
 *   It expires (default 1 h): after that, the old key opens nothing in the backend, and a
 *   member that was down longer joins again with a join token.
 * - "joins/<id>": { expiresAt, sealedKey }: the data key sealed under a key derived from the
 *   secret half of a join token (dfj1.<id>.<secret>); it expires (and the backend drops it).
 *   A join token admits one instance: redeeming it replaces the record by { expiresAt, spentAt }
 *   (compare-and-set, so two instances racing with one token cannot both win) and the sealed key
 *   is gone from the backend; the record stays until the token would have expired, so a second
 *   use is refused naming when the first was.
 */
import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DragonflyError } from '../../shared/errors.ts';
import { writeFileDurable } from '../../shared/durable-file.ts';
import type { SharedKv } from '../../shared/shared-kv.ts';
import { KEY_BYTES, type KeyProvider } from './key-provider.ts';
import { SecretBox } from './secret-box.ts';

export const KEYRING = 'keyring';
export const KEYRING_NEXT = 'keyring-next';
export const JOINS = 'joins/';
export const LOCAL_FILE = 'swarm-data-key';
export const DATA_KEY_CONTEXT = 'swarm/data-key';
/** Join tokens live 1 h unless asked otherwise; never more than a day. */
export const JOIN_DEFAULT_SECONDS = 3600;
const JOIN_MAX_SECONDS = 86400;

export interface Keyring {
  keyId: string;
  previous?: { keyId: string; sealedNext: string };
}

export const keyIdOf = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 16);

export interface SwarmKeyOptions {
  kv: SharedKv;
  dataDir: string;
  /** This instance's own key, which seals the data key on disk. */
  local: KeyProvider;
  /** A join token (`dragonfly swarm join-token`); needed once, by an instance joining an existing swarm. */
  joinToken?: string;
  /** A member's tools (`dragonfly swarm ...`): never create a swarm. */
  mustExist?: boolean;
  now?: () => number;
}

/** The swarm data key for this instance: created (first instance), taken from a join token, or read from disk. */
export async function openSwarmKey(o: SwarmKeyOptions): Promise<{ key: Buffer; created: boolean }> {
  const localBox = await SecretBox.open(o.local);
  const onDisk = await readLocal(o.dataDir, localBox);
  const ring = await readKeyring(o.kv);
  if (!ring && o.mustExist) throw new DragonflyError('DF_ERR_NOT_FOUND', `${o.kv.description} holds no swarm yet: start its first instance (dragonfly serve with this backend) first`);
  if (!ring) return { key: await createSwarm(o, localBox), created: true };
  if (o.joinToken) {
    const key = await redeemJoinToken(o.kv, o.joinToken, o.now ?? Date.now);
    if (keyIdOf(key) !== ring.keyId) throw new DragonflyError('DF_ERR_FORBIDDEN', 'the join token carries an older data key than the swarm uses now (rotated since); make a new join token');
    await saveLocal(o.dataDir, localBox, key);
    return { key, created: false };
  }
  if (!onDisk) {
    throw new DragonflyError(
      'DF_ERR_FORBIDDEN',
      `${o.kv.description} already holds a swarm and this instance has not joined it: on a member run \`dragonfly swarm join-token\` and start this one with --join TOKEN`,
    );
  }
  const key = catchUp(onDisk, ring);
  if (!key.equals(onDisk)) await saveLocal(o.dataDir, localBox, key);
  return { key, created: false };
}

/** Follows a rotation this instance missed (one step); refuses a key from another swarm. */
function catchUp(key: Buffer, ring: Keyring): Buffer {
  const id = keyIdOf(key);
  if (id === ring.keyId) return key;
  if (ring.previous?.keyId === id) return unwrapKey(new SecretBox(key).open(ring.previous.sealedNext, DATA_KEY_CONTEXT));
  throw new DragonflyError('DF_ERR_FORBIDDEN', `this instance holds data key ${id} but the swarm uses ${ring.keyId}: join again with --join TOKEN`);
}

async function createSwarm(o: SwarmKeyOptions, localBox: SecretBox): Promise<Buffer> {
  const key = randomBytes(KEY_BYTES);
  const ring: Keyring = { keyId: keyIdOf(key) };
  if (!(await o.kv.put(KEYRING, JSON.stringify(ring), { ifVersion: '' }))) {
    throw new DragonflyError('DF_ERR_CONFLICT', `another instance created the swarm in ${o.kv.description} at the same moment; start this one with --join TOKEN`);
  }
  await saveLocal(o.dataDir, localBox, key);
  return key;
}

export async function readKeyring(kv: SharedKv): Promise<Keyring | undefined> {
  const e = await kv.get(KEYRING);
  if (!e) return undefined;
  const ring = JSON.parse(e.value) as Keyring;
  const next = await kv.get(KEYRING_NEXT);
  const chain = next ? (JSON.parse(next.value) as Keyring) : undefined;
  return chain?.keyId === ring.keyId ? { keyId: ring.keyId, previous: chain.previous } : { keyId: ring.keyId };
}

/** This instance's copy of the data key, unsealed (undefined before it joined a swarm). */
export async function readLocalDataKey(dataDir: string, local: KeyProvider): Promise<Buffer | undefined> {
  return readLocal(dataDir, await SecretBox.open(local));
}

async function readLocal(dataDir: string, box: SecretBox): Promise<Buffer | undefined> {
  const text = await readFile(join(dataDir, LOCAL_FILE), 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  return text === undefined ? undefined : unwrapKey(box.open(text.trim(), DATA_KEY_CONTEXT));
}

export async function saveLocal(dataDir: string, box: SecretBox, key: Buffer): Promise<void> {
  await writeFileDurable(join(dataDir, LOCAL_FILE), `${box.seal(key.toString('base64'), DATA_KEY_CONTEXT)}\n`);
}

export function unwrapKey(b64: string): Buffer {
  const key = Buffer.from(b64, 'base64');
  if (key.length !== KEY_BYTES) throw new DragonflyError('DF_ERR_INTERNAL', `a sealed data key holds ${key.length} bytes, want ${KEY_BYTES}`);
  return key;
}

// ---- join tokens ----

const joinBox = (id: string, secret: Buffer) => new SecretBox(Buffer.from(hkdfSync('sha256', secret, Buffer.from(id), 'dragonfly swarm join', KEY_BYTES)));

/** A join token for this swarm: `dfj1.<id>.<secret>`, good for one join within `seconds` (default 1 h, at most 24 h). */
export async function makeJoinToken(kv: SharedKv, dataKey: Buffer, seconds = JOIN_DEFAULT_SECONDS, now = Date.now): Promise<{ token: string; expiresAt: string }> {
  if (!(Number.isInteger(seconds) && seconds > 0 && seconds <= JOIN_MAX_SECONDS)) {
    throw new DragonflyError('DF_ERR_INVALID', `a join token lives 1 to ${JOIN_MAX_SECONDS} seconds, not ${seconds}`);
  }
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32);
  const expiresAt = now() + seconds * 1000;
  const sealedKey = joinBox(id, secret).seal(dataKey.toString('base64'), `${JOINS}${id}`);
  await kv.put(JOINS + id, JSON.stringify({ expiresAt, sealedKey }), { ttlSeconds: seconds });
  return { token: `dfj1.${id}.${secret.toString('base64url')}`, expiresAt: new Date(expiresAt).toISOString() };
}

interface JoinRecord {
  expiresAt: number;
  sealedKey?: string;
  /** When it admitted an instance (ISO time); then sealedKey is gone. */
  spentAt?: string;
}

async function redeemJoinToken(kv: SharedKv, token: string, now: () => number): Promise<Buffer> {
  const m = /^dfj1\.([0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/.exec(token.trim());
  if (!m) throw new DragonflyError('DF_ERR_INVALID', 'not a join token (want dfj1.<id>.<secret>, from `dragonfly swarm join-token`)');
  const [, id, secret] = m;
  const entry = await kv.get(JOINS + id);
  const rec = entry ? (JSON.parse(entry.value) as JoinRecord) : undefined;
  if (!rec || rec.expiresAt <= now()) throw new DragonflyError('DF_ERR_FORBIDDEN', `join token ${id} has expired or was never made in ${kv.description}; make a new one`);
  if (rec.spentAt || !rec.sealedKey) throw spent(id, rec.spentAt);
  const key = unwrapKey(joinBox(id, Buffer.from(secret, 'base64url')).open(rec.sealedKey, `${JOINS}${id}`));
  // spent only once it proved good (a wrong secret must not burn someone else's token)
  const spentAt = new Date(now()).toISOString();
  const ttlSeconds = Math.max(1, Math.ceil((rec.expiresAt - now()) / 1000));
  const won = await kv.put(JOINS + id, JSON.stringify({ expiresAt: rec.expiresAt, spentAt }), { ifVersion: entry!.version, ttlSeconds });
  if (!won) throw spent(id, (await kv.get(JOINS + id).then((e) => (e ? (JSON.parse(e.value) as JoinRecord) : undefined)))?.spentAt);
  return key;
}

const spent = (id: string, at: string | undefined) =>
  new DragonflyError('DF_ERR_FORBIDDEN', `join token ${id} was already used${at ? ` at ${at}` : ''}: a join token admits one instance; make a new one (\`dragonfly swarm join-token\`, or POST /api/v1/swarm/join-tokens)`);
