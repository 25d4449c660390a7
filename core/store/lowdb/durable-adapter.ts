import { randomBytes } from 'node:crypto';
import { open, readFile, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';
import { discardLogger, type Logger } from '../../shared/logger.ts';
import { emptyState, type StoreState } from '../state-store.ts';
import { JournalFile, StateDiffer, listJournals, replayJournals } from './journal.ts';
import { StateSerializer, parseStateFile } from './state-file.ts';

/** Default: rewrite the full file once the journal is at least this big (and as big as the file). Bytes. */
const MIN_JOURNAL_BYTES_BEFORE_SNAPSHOT = 8 * 2 ** 20;

/**
 * lowdb adapter that makes every write durable and crash-safe.
 *
 * The full file (`dragonfly.json`, the snapshot) is only ever replaced atomically: written
 * to a temp file whose name is unique to this process and write (two writers never share
 * one), fsynced, renamed over the target, directory fsynced. Between snapshots each write
 * appends what changed to a journal and fdatasyncs it, so a group commit costs kilobytes,
 * not the whole file. A crash at any instant leaves a valid snapshot plus journal lines,
 * of which only a torn, never-acknowledged last line is dropped.
 */
export class DurableStateAdapter implements Adapter<StoreState> {
  readonly serializer = new StateSerializer();
  private readonly differ = new StateDiffer();
  private readonly dir: string;
  private dirHandle: FileHandle | undefined;
  private journal: JournalFile | undefined;
  private snapshotBytes = 0;
  private snapshotting: Promise<void> | undefined;

  constructor(
    readonly path: string,
    private readonly logger: Logger = discardLogger,
    /** Journal size that triggers a snapshot, in bytes (it also waits for the journal to outgrow the file). */
    private readonly snapshotAfterBytes = MIN_JOURNAL_BYTES_BEFORE_SNAPSHOT,
  ) {
    this.dir = dirname(path);
  }

  /** The snapshot with the journals replayed; null when there is nothing yet (first start). */
  async read(): Promise<StoreState | null> {
    let text: string | undefined;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const journals = await listJournals(this.dir);
    if (text === undefined && !journals.length) return null;
    const state = text === undefined ? emptyState() : parseStateFile(text, this.path);
    await replayJournals(this.dir, state, (file) =>
      this.logger.warn({ file }, `dropped a torn last line of ${file} (a write interrupted before it was acknowledged)`),
    );
    return state;
  }

  /**
   * Makes `state` durable. Called by one group commit at a time. The first call writes a
   * full snapshot (folding in any journals read at start); later calls append a journal line.
   */
  async write(state: StoreState): Promise<void> {
    if (!this.journal) return this.checkpoint(state);
    // Computed synchronously, before the first await: exactly the mutations applied so far.
    const delta = this.differ.diff(state);
    for (const [kind, name] of delta.del) this.serializer.forget(kind, name);
    const line = this.serializer.record(state.revision, delta);
    if (!this.snapshotting && this.journal.bytes >= Math.max(this.snapshotAfterBytes, this.snapshotBytes)) {
      await this.rotate(state);
    }
    try {
      await this.journal.append(line);
    } catch (e) {
      // The differ already counts this line as written; start over from a full snapshot
      // at the next write so nothing it held (a delete above all) goes missing.
      await this.journal.close().catch(() => {});
      this.journal = undefined;
      throw e;
    }
  }

  /** Full snapshot now, then a fresh journal; older journals are deleted. Used at start and close. */
  async checkpoint(state: StoreState): Promise<void> {
    await this.foldJournals(state);
    this.journal = await JournalFile.create(this.dir, state.revision);
    await this.syncDir();
  }

  /** Writes the whole state as the file, then deletes every journal (all of it is in the file now). */
  private async foldJournals(state: StoreState): Promise<void> {
    await this.snapshotting;
    this.differ.reset(state);
    await this.writeSnapshot(this.serializer.serialize(state));
    await this.journal?.close();
    this.journal = undefined;
    await this.deleteJournalsBefore(Infinity);
  }

  /**
   * Starts a new journal at the current revision and writes a snapshot of this state in
   * the background; once it is durable the older journals are obsolete. Acknowledgements
   * never wait for it: the lines are durable in the journals either way.
   */
  private async rotate(state: StoreState): Promise<void> {
    const chunks = this.serializer.serialize(state);
    const old = this.journal!;
    this.journal = await JournalFile.create(this.dir, state.revision);
    await this.syncDir(); // the new journal's name must be durable before lines in it are acknowledged
    await old.close();
    const upTo = state.revision;
    this.snapshotting = this.writeSnapshot(chunks)
      .then(() => this.deleteJournalsBefore(upTo))
      .catch((e: unknown) => this.logger.error({ err: e, file: this.path }, `snapshot of ${this.path} failed; the journal still holds every write`))
      .finally(() => (this.snapshotting = undefined));
  }

  private async writeSnapshot(chunks: Buffer[]): Promise<void> {
    const tmp = join(this.dir, `${tempPrefix(this.path)}${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await writeAll(fh, chunks);
      await fh.datasync();
    } catch (e) {
      await fh.close();
      await unlink(tmp).catch(() => {});
      throw e;
    }
    await fh.close();
    await rename(tmp, this.path);
    await this.syncDir();
    this.snapshotBytes = chunks.reduce((n, c) => n + c.length, 0);
  }

  private async deleteJournalsBefore(revision: number): Promise<void> {
    const current = this.journal ? basename(this.journal.path) : undefined;
    for (const j of await listJournals(this.dir)) {
      if (j.start < revision && j.name !== current) await unlink(join(this.dir, j.name)).catch(() => {});
    }
  }

  private async syncDir(): Promise<void> {
    // Windows cannot open a directory for fsync; NTFS journals renames and creations itself.
    if (process.platform === 'win32') return;
    this.dirHandle ??= await open(this.dir, 'r');
    await this.dirHandle.sync();
  }

  /** Removes temp files left by a process that died mid-write. Call only while holding the lock. */
  async removeLeftoverTempFiles(): Promise<string[]> {
    const prefix = tempPrefix(this.path);
    const names = (await readdir(this.dir)).filter((n) => n.startsWith(prefix) && n.endsWith('.tmp'));
    await Promise.all(names.map((n) => unlink(join(this.dir, n)).catch(() => {})));
    return names;
  }

  /** Folds the journal into a final snapshot (so the file alone is the whole state) and closes. */
  async close(state?: StoreState): Promise<void> {
    await this.snapshotting;
    if (state && this.journal) await this.foldJournals(state);
    await this.journal?.close();
    this.journal = undefined;
    await this.dirHandle?.close();
    this.dirHandle = undefined;
  }
}

/** One writev from the thread pool (libuv splits it by IOV_MAX); a short write is finished by hand. */
async function writeAll(fh: FileHandle, chunks: Buffer[]): Promise<void> {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const { bytesWritten } = await fh.writev(chunks, 0);
  if (bytesWritten < total) {
    const rest = Buffer.concat(chunks).subarray(bytesWritten);
    for (let off = 0; off < rest.length; ) off += (await fh.write(rest, off, rest.length - off, bytesWritten + off)).bytesWritten;
  }
}

const tempPrefix = (path: string) => `.${basename(path)}.`;
