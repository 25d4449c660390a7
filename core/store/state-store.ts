import { randomUUID } from 'node:crypto';
import { DragonflyError, conflict, notFound } from '../shared/errors.ts';
import type { Kind } from '../model/kinds.ts';
import type { StoredObject } from '../model/meta.ts';
import { parseLabelSelector } from './selector.ts';
import type { ListOptions, ListResult, Store, Unwatch, WatchEvent, WatchOptions } from './store.ts';

/** The whole state of an embedded store: what the lowdb file holds. */
export interface StoreState {
  revision: number;
  objects: Partial<Record<Kind, Record<string, StoredObject>>>;
}

export const emptyState = (): StoreState => ({ revision: 0, objects: {} });

/**
 * Makes a mutation durable before it is acknowledged. The memory backend commits nothing;
 * the lowdb backend writes the file (batched: every write in a batch waits for the fsync).
 */
export type CommitFn = (state: StoreState) => Promise<void>;

const clone = <T>(v: T): T => structuredClone(v);

/** How many past events a watch may resume from. */
export const HISTORY_LIMIT = 2_000;

/**
 * A Store over an in-memory StoreState. Single-process, so every mutation is applied
 * synchronously (no interleaving between check and write), then committed.
 */
export class StateStore implements Store {
  private readonly history: WatchEvent[] = [];
  private readonly watchers = new Set<{ kind?: Kind; fn: (e: WatchEvent) => void }>();
  private closed = false;

  constructor(
    readonly backend: string,
    private readonly state: StoreState,
    private readonly commit: CommitFn = async () => {},
  ) {}

  private bucket(kind: Kind): Record<string, StoredObject> {
    return (this.state.objects[kind] ??= {});
  }

  private assertOpen(): void {
    if (this.closed) throw new DragonflyError('DF_ERR_UNAVAILABLE', `the ${this.backend} store is closed`);
  }

  async get<T extends StoredObject>(kind: Kind, name: string): Promise<T> {
    this.assertOpen();
    const obj = this.bucket(kind)[name];
    if (!obj) throw notFound(`${kind} "${name}"`);
    return clone(obj) as T;
  }

  async list<T extends StoredObject>(kind: Kind, opts: ListOptions = {}): Promise<ListResult<T>> {
    this.assertOpen();
    const match = parseLabelSelector(opts.labelSelector);
    const items = Object.values(this.bucket(kind))
      .filter((o) => match(o.metadata.labels))
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
      .map((o) => clone(o) as T);
    return { items, revision: this.state.revision };
  }

  async create<T extends StoredObject>(obj: T): Promise<T> {
    this.assertOpen();
    const kind = obj.kind as Kind;
    const bucket = this.bucket(kind);
    const name = obj.metadata.name;
    if (bucket[name]) throw new DragonflyError('DF_ERR_ALREADY_EXISTS', `${kind} "${name}" already exists`);
    const rev = ++this.state.revision;
    const stored = clone(obj);
    stored.metadata = {
      ...stored.metadata,
      uid: randomUUID(),
      resourceVersion: String(rev),
      creationTimestamp: new Date().toISOString(),
    };
    bucket[name] = stored;
    await this.finish({ type: 'ADDED', kind, object: stored, revision: rev });
    return clone(stored) as T;
  }

  async update<T extends StoredObject>(obj: T): Promise<T> {
    this.assertOpen();
    const kind = obj.kind as Kind;
    const bucket = this.bucket(kind);
    const name = obj.metadata.name;
    const current = bucket[name];
    if (!current) throw notFound(`${kind} "${name}"`);
    const readVersion = obj.metadata.resourceVersion;
    if (readVersion === undefined) throw conflict(`update of ${kind} "${name}" must carry the resourceVersion it read`);
    if (readVersion !== current.metadata.resourceVersion) {
      throw conflict(
        `${kind} "${name}" was changed by someone else (you read version ${readVersion}, it is now ${current.metadata.resourceVersion}); read it again and retry`,
      );
    }
    const rev = ++this.state.revision;
    const stored = clone(obj);
    stored.metadata = {
      ...stored.metadata,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      resourceVersion: String(rev),
    };
    bucket[name] = stored;
    await this.finish({ type: 'MODIFIED', kind, object: stored, revision: rev });
    return clone(stored) as T;
  }

  async delete(kind: Kind, name: string, opts: { resourceVersion?: string } = {}): Promise<void> {
    this.assertOpen();
    const bucket = this.bucket(kind);
    const current = bucket[name];
    if (!current) throw notFound(`${kind} "${name}"`);
    if (opts.resourceVersion !== undefined && opts.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(`${kind} "${name}" was changed since version ${opts.resourceVersion}; not deleted`);
    }
    delete bucket[name];
    const rev = ++this.state.revision;
    await this.finish({ type: 'DELETED', kind, object: { ...current, metadata: { ...current.metadata, resourceVersion: String(rev) } }, revision: rev });
  }

  private async finish(event: WatchEvent): Promise<void> {
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) this.history.splice(0, this.history.length - HISTORY_LIMIT);
    await this.commit(this.state);
    // Watchers hear of a change only once it is durable.
    for (const w of this.watchers) if (!w.kind || w.kind === event.kind) w.fn(clone(event));
  }

  async watch(opts: WatchOptions, onEvent: (e: WatchEvent) => void): Promise<Unwatch> {
    this.assertOpen();
    if (opts.fromRevision !== undefined && opts.fromRevision < this.state.revision) {
      const oldest = this.history[0]?.revision ?? this.state.revision + 1;
      if (opts.fromRevision + 1 < oldest) {
        throw new DragonflyError('DF_ERR_GONE', `revision ${opts.fromRevision} is too old to resume from (oldest kept: ${oldest - 1}); list again`);
      }
      for (const e of this.history) {
        if (e.revision > opts.fromRevision && (!opts.kind || opts.kind === e.kind)) onEvent(clone(e));
      }
    }
    const w = { kind: opts.kind, fn: onEvent };
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  async revision(): Promise<number> {
    return this.state.revision;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watchers.clear();
  }
}
