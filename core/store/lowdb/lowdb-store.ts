import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Low } from 'lowdb';
import { discardLogger, type Logger } from '../../shared/logger.ts';
import { StateStore, emptyState, type StoreState } from '../state-store.ts';
import type { Store } from '../store.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { DurableStateAdapter } from './durable-adapter.ts';
import { GroupCommitter } from './group-commit.ts';

export const DATA_FILE = 'dragonfly.json';

export interface LowdbStoreOptions {
  /** Directory holding dragonfly.json and dragonfly.lock; created if missing. Required. */
  dataDir: string;
  /** Default: discardLogger. Logs stale-lock takeovers, temp-file cleanup and write failures. */
  logger?: Logger;
}

/**
 * The default, embedded store: a JSON file written through lowdb with our durable
 * adapter. A write is acknowledged only once the file containing it is fsynced; writes
 * that arrive during an fsync share the next one (group commit). One process per data
 * directory, enforced by a lock file.
 */
export async function createLowdbStore(opts: LowdbStoreOptions): Promise<Store> {
  const logger = opts.logger ?? discardLogger;
  const dataDir = resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });
  const lock = await lockDataDir(dataDir, logger);
  const adapter = new DurableStateAdapter(join(dataDir, DATA_FILE));
  try {
    const removed = await adapter.removeLeftoverTempFiles();
    if (removed.length) logger.info({ files: removed }, `removed ${removed.length} temp file(s) left by an interrupted write`);
    const initial = await adapter.read();
    const db = new Low<StoreState>(adapter, initial ?? emptyState());
    // First start: write the empty file now, so an unwritable directory fails the start, not the first write.
    if (!initial) await db.write();
    return new LowdbStore(db, adapter, lock.release, logger);
  } catch (e) {
    await adapter.close();
    await lock.release();
    throw e;
  }
}

class LowdbStore extends StateStore {
  private readonly committer: GroupCommitter;

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
  }

  override async close(): Promise<void> {
    await super.close();
    await this.committer.flush();
    await this.adapter.close();
    await this.releaseLock();
  }
}
