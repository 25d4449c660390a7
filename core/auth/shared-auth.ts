/**
 * The identity of a swarm in the shared backend: one "auth" entry (admin password hash, API
 * token hashes with their revocations, agent-token revocations and the machine-token signing
 * key, the latter sealed under the swarm data key so a reader of etcd cannot forge machine
 * tokens) and one "sessions/<sha256>" entry per login session that expires by itself.
 * A watch keeps each instance's copy current, so a revocation reaches every instance as fast
 * as etcd tells it; a re-read at most every REREAD_MS covers a watch that went quiet.
 */
import { DragonflyError } from '../shared/errors.ts';
import type { SharedKv } from '../shared/shared-kv.ts';
import type { AuthDoc, AuthPersistence, Session, SessionTable } from './auth-persistence.ts';

/** Seals a secret for the backend (the swarm data key; structurally the same as power/secrets' Sealer, which auth may not import). */
export interface Sealer {
  seal(plaintext: string, context?: string): string;
  open(sealed: string, context?: string): string;
}

export const AUTH_KEY = 'auth';
const SESSIONS = 'sessions/';
const SIGNING_KEY_CONTEXT = 'swarm/auth/signing-key';
/** Longest a copy is trusted without a re-read, even when the watch reports nothing. */
const REREAD_MS = 2000;

type StoredDoc = Omit<AuthDoc, 'secretKey'> & { sealedSecretKey: string };

export class SharedAuthPersistence implements AuthPersistence {
  readonly sessions: KvSessions;
  private readAt = 0;
  private unwatch: () => void = () => {};

  private constructor(
    private readonly kv: SharedKv,
    private readonly sealer: Sealer,
    public doc: AuthDoc,
    private readonly now: () => number,
  ) {
    this.sessions = new KvSessions(kv, now);
  }

  /** Reads the swarm's identity, or creates it (`created`) when this is the swarm's first instance. */
  static async open(kv: SharedKv, sealer: Sealer, create: () => Promise<AuthDoc>, now = Date.now): Promise<{ persistence: SharedAuthPersistence; created: boolean }> {
    let created = false;
    let entry = await kv.get(AUTH_KEY);
    if (!entry) {
      const doc = await create();
      created = await kv.put(AUTH_KEY, encode(doc, sealer), { ifVersion: '' });
      entry = await kv.get(AUTH_KEY); // when another instance created it first, theirs counts
    }
    if (!entry) throw new DragonflyError('DF_ERR_UNAVAILABLE', `the swarm identity vanished from ${kv.description} while starting; start again`);
    const p = new SharedAuthPersistence(kv, sealer, decode(entry.value, sealer), now);
    p.readAt = now();
    await p.start();
    return { persistence: p, created };
  }

  private async start(): Promise<void> {
    this.unwatch = await this.kv.watch(AUTH_KEY, (key, value) => {
      if (key !== AUTH_KEY || value === undefined) return;
      this.adopt(value);
    });
    await this.sessions.start();
  }

  private adopt(value: string): void {
    try {
      this.doc = decode(value, this.sealer);
      this.readAt = this.now();
    } catch {
      this.readAt = 0; // undecodable (a key rotation under way): read again on next use
    }
  }

  async refresh(force = false): Promise<void> {
    if (!force && this.now() - this.readAt < REREAD_MS) return;
    const entry = await this.kv.get(AUTH_KEY);
    if (entry) this.adopt(entry.value);
  }

  async modify(change: (d: AuthDoc) => Promise<void>): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const entry = await this.kv.get(AUTH_KEY);
      if (!entry) throw new DragonflyError('DF_ERR_UNAVAILABLE', `the swarm identity is missing from ${this.kv.description}`);
      const next = decode(entry.value, this.sealer);
      await change(next);
      if (await this.kv.put(AUTH_KEY, encode(next, this.sealer), { ifVersion: entry.version })) {
        this.doc = next;
        this.readAt = this.now();
        return;
      }
    }
    throw new DragonflyError('DF_ERR_CONFLICT', 'the swarm identity changed under ten attempts in a row; try again');
  }

  async close(): Promise<void> {
    this.unwatch();
    this.sessions.stop();
  }
}

function encode(doc: AuthDoc, sealer: Sealer): string {
  const { secretKey, ...rest } = doc;
  const stored: StoredDoc = { ...rest, sealedSecretKey: sealer.seal(secretKey, SIGNING_KEY_CONTEXT) };
  return JSON.stringify(stored);
}

function decode(value: string, sealer: Sealer): AuthDoc {
  const { sealedSecretKey, ...rest } = JSON.parse(value) as StoredDoc;
  if (rest.version !== 1 || !sealedSecretKey || !rest.admin?.passwordHash) {
    throw new DragonflyError('DF_ERR_INTERNAL', 'the swarm identity in the backend is not version 1 or lacks fields');
  }
  return { ...rest, secretKey: sealer.open(sealedSecretKey, SIGNING_KEY_CONTEXT) };
}

/**
 * Sessions in the backend with a TTL; a local copy, emptied by the watch when one is ended
 * anywhere and re-checked after REREAD_MS in case the watch went quiet.
 */
class KvSessions implements SessionTable {
  private readonly cache = new Map<string, { s: Session; checkedAt: number }>();
  private unwatch: () => void = () => {};

  constructor(
    private readonly kv: SharedKv,
    private readonly now: () => number,
  ) {}

  async start(): Promise<void> {
    this.unwatch = await this.kv.watch(SESSIONS, (key, value) => {
      if (value === undefined) this.cache.delete(key.slice(SESSIONS.length));
    });
  }

  stop(): void {
    this.unwatch();
  }

  async add(hash: string, s: Session): Promise<void> {
    this.cache.set(hash, { s, checkedAt: this.now() });
    const ttlSeconds = Math.max(1, Math.ceil((s.expiresAt - this.now()) / 1000));
    await this.kv.put(SESSIONS + hash, JSON.stringify(s), { ttlSeconds });
  }

  async find(hash: string): Promise<Session | undefined> {
    const cached = this.cache.get(hash);
    if (cached && this.now() - cached.checkedAt < REREAD_MS) return cached.s;
    const entry = await this.kv.get(SESSIONS + hash);
    if (!entry) {
      this.cache.delete(hash);
      return undefined;
    }
    const s = JSON.parse(entry.value) as Session;
    this.cache.set(hash, { s, checkedAt: this.now() });
    return s;
  }

  async remove(hash: string): Promise<void> {
    this.cache.delete(hash);
    await this.kv.delete(SESSIONS + hash);
  }
}
