/**
 * A LeaseStore kept in one JSON file. Every change is written as a whole new file: a
 * unique temp file beside it, fsync, rename over the old one, fsync of the directory, so a
 * crash at any instant leaves the old or the new file, never a torn one. Changes arriving
 * while a write is in flight are grouped into the next write (group commit), and each
 * put/release resolves only after a write that contains it is durable.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DragonflyError } from '../shared/errors.ts';
import { mapLeaseOps, type Lease, type LeaseStore } from './lease-store.ts';

interface FileShape {
  version: 1;
  leases: Lease[];
}

async function readLeases(path: string): Promise<Map<string, Lease>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw e;
  }
  let parsed: FileShape;
  try {
    parsed = JSON.parse(text) as FileShape;
  } catch {
    throw new DragonflyError('DF_ERR_INTERNAL', `lease file ${path} is not valid JSON; move it away to start with no leases`);
  }
  return new Map((parsed.leases ?? []).map((l) => [l.ip, l]));
}

async function writeDurably(path: string, content: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export interface FileLeaseStoreOptions {
  /** Milliseconds since the epoch, to judge expiry in claim. Default Date.now. */
  now?: () => number;
}

export async function openFileLeaseStore(path: string, opts: FileLeaseStoreOptions = {}): Promise<LeaseStore> {
  const leases = await readLeases(path);
  let writing: Promise<void> | undefined;
  let pending: Promise<void> | undefined;

  const snapshot = () => JSON.stringify({ version: 1, leases: [...leases.values()] } satisfies FileShape, null, 1);

  // One write at a time. A change made while a write is in flight joins the pending write,
  // which snapshots only after the in-flight one finished (`await` always yields first, so
  // `pending` is set before the body runs on).
  function flush(): Promise<void> {
    if (pending) return pending;
    pending = (async () => {
      await writing?.catch(() => {});
      pending = undefined;
      const w = writeDurably(path, snapshot());
      writing = w;
      await w;
    })();
    return pending;
  }

  return {
    get: async (ip) => {
      const l = leases.get(ip);
      return l && { ...l };
    },
    list: async () => [...leases.values()].map((l) => ({ ...l })),
    ...mapLeaseOps(leases, opts.now ?? Date.now, flush),
  };
}
