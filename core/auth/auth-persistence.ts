/**
 * Where a control plane's identity lives. One instance: a 0600 file in the data directory
 * (auth.json) and sessions in memory. A swarm: the shared backend (shared-auth.ts), so every
 * instance accepts what another issued.
 */
import { readFile, stat } from 'node:fs/promises';
import { DragonflyError } from '../shared/errors.ts';
import { writeFileDurable } from '../shared/durable-file.ts';

export interface ApiTokenRecord {
  id: string;
  name: string;
  hash: string; // sha256 of the whole token; the token itself is shown once and never stored
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
}

export interface AuthDoc {
  version: 1;
  secretKey: string; // hex; signs enrolment and agent tokens
  admin: { username: string; passwordHash: string };
  tokens: ApiTokenRecord[];
  /** MAC (12 hex digits) -> epoch ms: agent tokens issued at or before it are refused. */
  agentRevokedBefore?: Record<string, number>;
}

export interface Session {
  user: string;
  /** Epoch ms. */
  expiresAt: number;
  /** A tag of the password hash it was signed in under (auth-service.ts): a changed password ends it. */
  password?: string;
}

/** Login sessions by the SHA-256 of their token (a reader of the table cannot sign in with it). */
export interface SessionTable {
  add(hash: string, s: Session): Promise<void>;
  find(hash: string): Promise<Session | undefined>;
  remove(hash: string): Promise<void>;
}

export interface AuthPersistence {
  /** The state as last read; `refresh` brings it up to date with other writers (`force`: read now, whatever any cache says). */
  readonly doc: AuthDoc;
  refresh(force?: boolean): Promise<void>;
  /** Read the newest, change, write; retried or refused when another writer came first. */
  modify(change: (d: AuthDoc) => Promise<void>): Promise<void>;
  readonly sessions: SessionTable;
  close(): Promise<void>;
}

export class MemorySessions implements SessionTable {
  private readonly map = new Map<string, Session>();
  async add(hash: string, s: Session): Promise<void> {
    this.map.set(hash, s);
  }
  async find(hash: string): Promise<Session | undefined> {
    return this.map.get(hash);
  }
  async remove(hash: string): Promise<void> {
    this.map.delete(hash);
  }
}

/** auth.json, re-read when another process (the CLI with --data-dir) changed it. */
export class FileAuthPersistence implements AuthPersistence {
  readonly sessions = new MemorySessions();
  private mtime = 0;

  private constructor(
    private readonly path: string,
    public doc: AuthDoc,
  ) {}

  static async open(path: string, create: () => Promise<AuthDoc>): Promise<{ persistence: FileAuthPersistence; created: boolean }> {
    const existing = await readAuthFile(path);
    if (existing) {
      const p = new FileAuthPersistence(path, existing);
      p.mtime = (await stat(path)).mtimeMs;
      return { persistence: p, created: false };
    }
    const p = new FileAuthPersistence(path, await create());
    await p.write(p.doc);
    return { persistence: p, created: true };
  }

  async refresh(): Promise<void> {
    const st = await stat(this.path).catch(() => undefined);
    if (!st || st.mtimeMs === this.mtime) return;
    const fresh = await readAuthFile(this.path);
    if (fresh) {
      this.doc = fresh;
      this.mtime = st.mtimeMs;
    }
  }

  async modify(change: (d: AuthDoc) => Promise<void>): Promise<void> {
    await this.refresh();
    const next = structuredClone(this.doc);
    await change(next);
    await this.write(next);
  }

  private async write(next: AuthDoc): Promise<void> {
    await writeFileDurable(this.path, JSON.stringify(next, null, 2));
    this.doc = next;
    this.mtime = (await stat(this.path)).mtimeMs;
  }

  async close(): Promise<void> {}
}

export async function readAuthFile(path: string): Promise<AuthDoc | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const data = JSON.parse(text) as AuthDoc;
    if (data.version !== 1 || !data.secretKey || !data.admin?.passwordHash) throw new Error('missing fields');
    return data;
  } catch (e) {
    throw new DragonflyError('DF_ERR_INTERNAL', `credentials file ${path} is unreadable (${(e as Error).message}); restore it from a backup or move it away to start over`);
  }
}
