import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DragonflyError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';

export const LOCK_FILE = 'dragonfly.lock';

/** What the lock file says about its holder. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** ISO time the holder took the lock. */
  since: string;
}

export interface DataDirLock {
  readonly path: string;
  readonly holder: LockHolder;
  release(): Promise<void>;
}

/** A lock file that cannot be read this long after it was made was left by a crash mid-creation. */
const UNREADABLE_LOCK_GRACE_MS = 5_000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const h = JSON.parse(await readFile(path, 'utf8')) as LockHolder;
    return Number.isSafeInteger(h.pid) && typeof h.hostname === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/** Why the existing lock may be taken over, or undefined when its holder may still be alive. */
async function staleReason(path: string, holder: LockHolder | undefined): Promise<string | undefined> {
  if (!holder) {
    const age = Date.now() - (await stat(path)).mtimeMs;
    return age > UNREADABLE_LOCK_GRACE_MS ? 'the lock file is unreadable (left by a crash while it was being made)' : undefined;
  }
  if (holder.hostname !== hostname()) return undefined; // cannot check a pid on another host
  if (holder.pid !== process.pid && !pidAlive(holder.pid)) return `process ${holder.pid} that held it is gone`;
  return undefined;
}

async function tryCreate(path: string, holder: LockHolder): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'wx', 0o644); // O_CREAT|O_EXCL: exactly one process wins
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    await fh.writeFile(`${JSON.stringify(holder)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return true;
}

function lockedError(path: string, holder: LockHolder | undefined): DragonflyError {
  const who = holder ? `process ${holder.pid} on ${holder.hostname} since ${holder.since}` : 'a process that is still creating it';
  return new DragonflyError(
    'DF_ERR_LOCKED',
    `the data directory is in use by ${who} (lock file ${path}); stop that instance first, or use another data directory`,
    { path, holder },
  );
}

/**
 * Single-writer lock on a data directory: two processes writing one lowdb file would
 * lose each other's writes. A lock whose holder died on this host is taken over (logged);
 * any other held lock refuses with DF_ERR_LOCKED naming the holder.
 */
export async function lockDataDir(dir: string, logger: Logger): Promise<DataDirLock> {
  const path = join(dir, LOCK_FILE);
  const holder: LockHolder = { pid: process.pid, hostname: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await tryCreate(path, holder)) return { path, holder, release: () => releaseLock(path, holder) };
    const current = await readHolder(path);
    const reason = await staleReason(path, current).catch(() => undefined);
    if (!reason) throw lockedError(path, current);
    if (!(await removeIfStill(path, current))) continue; // someone else replaced it meanwhile: look again
    logger.warn({ lock: path, previous: current }, `took over stale lock ${path}: ${reason}`);
  }
  throw lockedError(path, await readHolder(path));
}

const sameHolder = (a: LockHolder | undefined, b: LockHolder | undefined) =>
  a === undefined || b === undefined ? a === b : a.pid === b.pid && a.hostname === b.hostname && a.since === b.since;

/**
 * Removes the lock only if it still names the stale holder seen: moved aside atomically
 * first, so two processes taking over at once cannot delete each other's fresh lock.
 */
async function removeIfStill(path: string, stale: LockHolder | undefined): Promise<boolean> {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await rename(path, aside);
  } catch {
    return false;
  }
  const moved = await readHolder(aside);
  if (!sameHolder(moved, stale)) {
    await link(aside, path).catch(() => {}); // a fresh lock: put it back
    await unlink(aside).catch(() => {});
    return false;
  }
  await unlink(aside).catch(() => {});
  return true;
}

async function releaseLock(path: string, holder: LockHolder): Promise<void> {
  const current = await readHolder(path);
  // Only remove the lock if it is still ours.
  if (sameHolder(current, holder)) await unlink(path).catch(() => {});
}
