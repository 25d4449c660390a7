import { open, readFile, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DragonflyError } from '../../shared/errors.ts';
import type { StoredObject } from '../../model/meta.ts';
import type { StoreState } from '../state-store.ts';
import type { StateDelta } from './state-file.ts';

/**
 * The journal makes a durable write cost a few kilobytes instead of a rewrite of the
 * whole file: each group commit appends one line with what changed and fdatasyncs it;
 * the full file (the snapshot) is rewritten only now and then. A journal file is named
 * after the snapshot revision it starts from: `dragonfly.journal-<revision>.jsonl`.
 */
export const JOURNAL_PREFIX = 'dragonfly.journal-';
const JOURNAL_SUFFIX = '.jsonl';

export const journalName = (startRevision: number) => `${JOURNAL_PREFIX}${startRevision}${JOURNAL_SUFFIX}`;

/** Journal files in the directory, oldest first. */
export async function listJournals(dir: string): Promise<{ name: string; start: number }[]> {
  const names = (await readdir(dir)).filter((n) => n.startsWith(JOURNAL_PREFIX) && n.endsWith(JOURNAL_SUFFIX));
  return names
    .map((name) => ({ name, start: Number(name.slice(JOURNAL_PREFIX.length, -JOURNAL_SUFFIX.length)) }))
    .filter((j) => Number.isSafeInteger(j.start))
    .sort((a, b) => a.start - b.start);
}

interface JournalRecord {
  rev: number;
  put: Record<string, Record<string, StoredObject>>;
  del: [string, string][];
}

function applyRecord(state: StoreState, rec: JournalRecord): void {
  const objects = state.objects as Record<string, Record<string, StoredObject>>;
  for (const [kind, byName] of Object.entries(rec.put)) Object.assign((objects[kind] ??= {}), byName);
  for (const [kind, name] of rec.del) delete objects[kind]?.[name];
  state.revision = rec.rev;
}

/**
 * Applies every journal line newer than the state's revision. Only the very last line of
 * the newest journal may be torn (the process died while appending it, so it was never
 * acknowledged): it is dropped. A bad line anywhere else is damage, and refused.
 */
export async function replayJournals(dir: string, state: StoreState, onTornTail: (file: string) => void): Promise<void> {
  const journals = await listJournals(dir);
  for (const [j, { name }] of journals.entries()) {
    const path = join(dir, name);
    const lines = (await readFile(path, 'utf8')).split('\n');
    for (const [i, line] of lines.entries()) {
      if (!line) continue;
      let rec: JournalRecord;
      try {
        rec = JSON.parse(line) as JournalRecord;
        if (!Number.isSafeInteger(rec.rev) || typeof rec.put !== 'object' || !Array.isArray(rec.del)) throw new Error('not a journal record');
      } catch (e) {
        const isTail = j === journals.length - 1 && i === lines.length - 1;
        if (isTail) {
          onTornTail(path);
          break;
        }
        throw new DragonflyError('DF_ERR_DECODE', `the journal ${path} is damaged at line ${i + 1} (${(e as Error).message}); refusing to start`, { path });
      }
      if (rec.rev > state.revision) applyRecord(state, rec);
    }
  }
}

/**
 * Finds what changed since the last call by object identity (StateStore replaces, never
 * mutates, stored objects). One pass of cheap lookups over the state, no allocation per
 * unchanged object: 10,000 machines cost about a millisecond.
 */
export class StateDiffer {
  private readonly prev = new Map<string, Map<string, StoredObject>>();

  reset(state: StoreState): void {
    this.diff(state);
  }

  diff(state: StoreState): StateDelta {
    const put = new Map<string, StoredObject[]>();
    const del: [string, string][] = [];
    const objects = state.objects as Record<string, Record<string, StoredObject> | undefined>;
    for (const kind in objects) {
      const bucket = objects[kind] ?? {};
      let prev = this.prev.get(kind);
      if (!prev) this.prev.set(kind, (prev = new Map()));
      let count = 0;
      for (const name in bucket) {
        count++;
        const obj = bucket[name];
        if (prev.get(name) === obj) continue;
        prev.set(name, obj);
        const list = put.get(kind);
        if (list) list.push(obj);
        else put.set(kind, [obj]);
      }
      // More remembered than present: something was deleted; only then look for what.
      if (prev.size > count) {
        for (const name of prev.keys()) {
          if (!Object.hasOwn(bucket, name)) {
            prev.delete(name);
            del.push([kind, name]);
          }
        }
      }
    }
    return { put, del };
  }
}

/** An open journal file that lines are appended to. */
export class JournalFile {
  bytes = 0;
  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  static async create(dir: string, startRevision: number): Promise<JournalFile> {
    const path = join(dir, journalName(startRevision));
    return new JournalFile(path, await open(path, 'a', 0o600));
  }

  /** Appends one line and makes it durable. */
  async append(chunks: Buffer[]): Promise<void> {
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const { bytesWritten } = await this.fh.writev(chunks);
    if (bytesWritten < total) {
      const rest = Buffer.concat(chunks).subarray(bytesWritten);
      for (let off = 0; off < rest.length; ) off += (await this.fh.write(rest, off)).bytesWritten;
    }
    await this.fh.datasync();
    this.bytes += total;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
