import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Low } from 'lowdb';
import { discardLogger, type Logger } from '../../shared/logger.ts';
import { StateStore, emptyState, type StoreState } from '../state-store.ts';
import type { ListOptions, ListResult, Store } from '../store.ts';
import { notFound } from '../../shared/errors.ts';
import type { Kind } from '../../model/kinds.ts';
import type { StoredObject } from '../../model/meta.ts';
import { parseLabelSelector } from '../selector.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { DurableStateAdapter } from './durable-adapter.ts';
import { GroupCommitter } from './group-commit.ts';

export const DATA_FILE = 'dragonfly.json';

export interface LowdbStoreOptions {
  /** Directory holding dragonfly.json and dragonfly.lock; created if missing. Required. */
  dataDir: string;
  /** Default: discardLogger. Logs stale-lock takeovers, temp-file cleanup and write failures. */
  logger?: Logger;
  /**
   * Journal size in bytes after which the full file is rewritten in the background.
   * Default 8 MiB (or the file's size, if larger). Smaller means a shorter replay at start
   * and more rewriting; tests set it small to exercise the rewrite.
   */
  snapshotAfterBytes?: number;
}

/**
 * The default, embedded store: a JSON file (dragonfly.json) written through lowdb with our
 * durable adapter, plus a journal of the changes since it was last rewritten. A write is
 * acknowledged only once it is fsynced; writes that arrive during an fsync share the next
 * one (group commit). One process per data directory, enforced by a lock file. After a
 * clean close, dragonfly.json alone holds everything.
 */
export async function createLowdbStore(opts: LowdbStoreOptions): Promise<Store> {
  const logger = opts.logger ?? discardLogger;
  const dataDir = resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });
  const lock = await lockDataDir(dataDir, logger);
  const adapter = new DurableStateAdapter(join(dataDir, DATA_FILE), logger, opts.snapshotAfterBytes);
  try {
    const removed = await adapter.removeLeftoverTempFiles();
    if (removed.length) logger.info({ files: removed }, `removed ${removed.length} temp file(s) left by an interrupted write`);
    const db = new Low<StoreState>(adapter, emptyState());
    await db.read();
    // A full snapshot at start folds in the journals read, and on a first start makes an
    // unwritable directory fail the start rather than the first write.
    await adapter.checkpoint(db.data);
    return new LowdbStore(db, adapter, lock.release, logger);
  } catch (e) {
    await adapter.close();
    await lock.release();
    throw e;
  }
}

class LowdbStore extends StateStore {
  private readonly committer: GroupCommitter;
  private readonly data: StoreState;
  private isClosed = false;

  constructor(
    db: Low<StoreState>,
    private readonly adapter: DurableStateAdapter,
    private readonly releaseLock: () => Promise<void>,
    logger: Logger,
  ) {
    const committer = new GroupCommitter(() =>
      db.write().catch((e: unknown) => {
        logger.error({ err: e, file: adapter.path }, `writing ${adapter.path} failed; the writes waiting on it are rejected`);
        throw e;
      }),
    );
    super('lowdb', db.data, () => committer.commit());
    this.committer = committer;
    this.data = db.data;
  }

  /**
   * Reads hand out copies, as StateStore's do, but parsed from the JSON the file writer
   * has already made and cached: 2-3 times cheaper than structuredClone, which matters
   * when a list copies 10,000 machines.
   */
  private copy<T extends StoredObject>(obj: StoredObject): T {
    return JSON.parse(this.adapter.serializer.json(obj)) as T;
  }

  override async get<T extends StoredObject>(kind: Kind, name: string): Promise<T> {
    if (this.isClosed) return super.get(kind, name); // StateStore says it is closed
    const obj = this.data.objects[kind]?.[name];
    if (!obj) throw notFound(`${kind} "${name}"`);
    return this.copy<T>(obj);
  }

  override async list<T extends StoredObject>(kind: Kind, opts: ListOptions = {}): Promise<ListResult<T>> {
    if (this.isClosed) return super.list(kind, opts);
    const match = parseLabelSelector(opts.labelSelector);
    const items = Object.values(this.data.objects[kind] ?? {})
      .filter((o) => match(o.metadata.labels))
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
      .map((o) => this.copy<T>(o));
    return { items, revision: this.data.revision };
  }

  override async close(): Promise<void> {
    this.isClosed = true;
    await super.close();
    await this.committer.flush();
    await this.adapter.close(this.data);
    await this.releaseLock();
  }
}
