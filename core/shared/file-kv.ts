/**
 * SharedKv for one instance: what a swarm keeps in etcd (core/swarm/etcd-kv.ts), a single
 * instance keeps here, in memory and (with a path) in a 0600 JSON file in its data directory,
 * so it survives a restart. Entries with a TTL expire on their own; past `maxEntries` the
 * expired ones go first, then the oldest written, so a flood cannot grow it without bound.
 * Each change is written before its put resolves; changes made while a write is under way
 * share the next one (a flood costs one write at a time, not one per change).
 */
import { readFile } from 'node:fs/promises';
import { writeFileDurable } from './durable-file.ts';
import { DragonflyError } from './errors.ts';
import type { KvEntry, KvPutOptions, SharedKv } from './shared-kv.ts';

export interface FileKvOptions {
  /** The file; absent: memory only (nothing survives the process). */
  path?: string;
  /** Entries kept at most; default 50000. */
  maxEntries?: number;
  /** Clock for TTLs, ms since the epoch. */
  now?: () => number;
}

interface Stored {
  value: string;
  version: number;
  /** Epoch ms; absent: never expires. */
  expiresAt?: number;
}

type FileForm = { version: 1; revision: number; entries: Array<[string, Stored]> };

export class FileKv implements SharedKv {
  readonly description: string;
  private readonly entries = new Map<string, Stored>();
  private readonly watchers = new Set<{ prefix: string; fn: (key: string, value: string | undefined) => void }>();
  private revision = 0;
  /** The write every change so far will be part of (not started yet). */
  private nextWrite?: Promise<void>;
  private lastWrite: Promise<void> = Promise.resolve();
  private readonly maxEntries: number;
  private readonly now: () => number;

  private constructor(private readonly path: string | undefined, o: FileKvOptions) {
    this.description = path ? `the file ${path}` : 'memory';
    this.maxEntries = o.maxEntries ?? 50_000;
    this.now = o.now ?? Date.now;
  }

  /** Opens (or starts) the file; an unreadable one is an error naming it, never silently emptied. */
  static async open(o: FileKvOptions = {}): Promise<FileKv> {
    const kv = new FileKv(o.path, o);
    if (o.path) await kv.load(o.path);
    return kv;
  }

  /** Memory only, ready at once (tests, and a gate nobody wired to a backend). */
  static memory(o: Omit<FileKvOptions, 'path'> = {}): FileKv {
    return new FileKv(undefined, o);
  }

  private async load(path: string): Promise<void> {
    const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (text === undefined) return;
    let form: FileForm;
    try {
      form = JSON.parse(text) as FileForm;
      if (form.version !== 1 || !Array.isArray(form.entries)) throw new Error('not version 1');
    } catch (e) {
      throw new DragonflyError('DF_ERR_INTERNAL', `${path} is not a Dragonfly key-value file (${(e as Error).message}); move it away to start empty`);
    }
    this.revision = form.revision;
    for (const [k, s] of form.entries) if (!this.expired(s)) this.entries.set(k, s);
  }

  private expired(s: Stored): boolean {
    return s.expiresAt !== undefined && s.expiresAt <= this.now();
  }

  private live(key: string): Stored | undefined {
    const s = this.entries.get(key);
    if (s && this.expired(s)) {
      this.entries.delete(key);
      return undefined;
    }
    return s;
  }

  async get(key: string): Promise<KvEntry | undefined> {
    const s = this.live(key);
    return s && { key, value: s.value, version: String(s.version) };
  }

  async list(prefix: string): Promise<KvEntry[]> {
    const keys = [...this.entries.keys()].filter((k) => k.startsWith(prefix)).sort();
    return keys.flatMap((key) => {
      const s = this.live(key);
      return s ? [{ key, value: s.value, version: String(s.version) }] : [];
    });
  }

  /** The change is made before the first await: a get right after sees it (one process). */
  put(key: string, value: string, opts: KvPutOptions = {}): Promise<boolean> {
    const held = this.live(key);
    if (opts.ifVersion !== undefined && opts.ifVersion !== (held ? String(held.version) : '')) return Promise.resolve(false);
    this.entries.delete(key); // re-inserted last: Map order is then oldest write first
    this.entries.set(key, { value, version: ++this.revision, ...(opts.ttlSeconds ? { expiresAt: this.now() + opts.ttlSeconds * 1000 } : {}) });
    this.bound();
    this.tell(key, value);
    return this.save().then(() => true);
  }

  delete(key: string): Promise<void> {
    if (!this.entries.delete(key)) return Promise.resolve();
    this.tell(key, undefined);
    return this.save();
  }

  async watch(prefix: string, onChange: (key: string, value: string | undefined) => void): Promise<() => void> {
    const w = { prefix, fn: onChange };
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  async close(): Promise<void> {
    this.watchers.clear();
    await this.lastWrite.catch(() => {});
  }

  private tell(key: string, value: string | undefined): void {
    for (const w of this.watchers) if (key.startsWith(w.prefix)) w.fn(key, value);
  }

  private bound(): void {
    if (this.entries.size <= this.maxEntries) return;
    for (const [k, s] of this.entries) if (this.expired(s)) this.entries.delete(k);
    for (const k of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(k);
    }
  }

  private save(): Promise<void> {
    const path = this.path;
    if (!path) return Promise.resolve();
    if (this.nextWrite) return this.nextWrite;
    const write = this.lastWrite
      .catch(() => {})
      .then(() => {
        this.nextWrite = undefined; // changes from here on go into the write after this one
        return writeFileDurable(path, this.serialize());
      });
    this.nextWrite = write;
    this.lastWrite = write;
    return write;
  }

  private serialize(): string {
    const entries = [...this.entries].filter(([, s]) => !this.expired(s));
    return JSON.stringify({ version: 1, revision: this.revision, entries } satisfies FileForm);
  }
}
