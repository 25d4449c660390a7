import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { DragonflyError, conflict, notFound } from '../core/shared/errors.ts';
import type { Kind } from '../core/model/kinds.ts';
import type { StoredObject } from '../core/model/meta.ts';
import { parseLabelSelector } from '../core/store/selector.ts';
import type { ListOptions, ListResult, Store, Unwatch } from '../core/store/store.ts';

/**
 * The reference the lowdb backend is measured against: the same get/list/create/update
 * semantics on SQLite in WAL mode with synchronous=FULL, so every acknowledged write is
 * as durable as lowdb's. One transaction (one fsync) per write; no watch.
 */
export function createSqliteBaseline(path: string): Store {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE IF NOT EXISTS objects (kind TEXT NOT NULL, name TEXT NOT NULL, rv INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (kind, name));
           CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
           INSERT OR IGNORE INTO meta VALUES ('revision', 0);`);
  const q = {
    get: db.prepare<[string, string], { rv: number; json: string }>('SELECT rv, json FROM objects WHERE kind = ? AND name = ?'),
    list: db.prepare<[string], { json: string }>('SELECT json FROM objects WHERE kind = ? ORDER BY name'),
    insert: db.prepare('INSERT INTO objects VALUES (?, ?, ?, ?)'),
    update: db.prepare('UPDATE objects SET rv = ?, json = ? WHERE kind = ? AND name = ?'),
    bump: db.prepare<[], { v: number }>("UPDATE meta SET v = v + 1 WHERE k = 'revision' RETURNING v"),
    rev: db.prepare<[], { v: number }>("SELECT v FROM meta WHERE k = 'revision'"),
  };
  const write = db.transaction((obj: StoredObject, isCreate: boolean) => {
    const kind = obj.kind;
    const name = obj.metadata.name;
    const row = q.get.get(kind, name);
    if (isCreate && row) throw new DragonflyError('DF_ERR_ALREADY_EXISTS', `${kind} "${name}" already exists`);
    if (!isCreate && !row) throw notFound(`${kind} "${name}"`);
    if (!isCreate && String(row!.rv) !== obj.metadata.resourceVersion) throw conflict(`${kind} "${name}" was changed`);
    const rev = q.bump.get()!.v;
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rev), ...(isCreate ? { uid: randomUUID(), creationTimestamp: new Date().toISOString() } : {}) } };
    const json = JSON.stringify(stored);
    if (isCreate) q.insert.run(kind, name, rev, json);
    else q.update.run(rev, json, kind, name);
    return stored;
  });
  return {
    backend: 'sqlite',
    async get<T extends StoredObject>(kind: Kind, name: string) {
      const row = q.get.get(kind, name);
      if (!row) throw notFound(`${kind} "${name}"`);
      return JSON.parse(row.json) as T;
    },
    async list<T extends StoredObject>(kind: Kind, opts: ListOptions = {}): Promise<ListResult<T>> {
      const match = parseLabelSelector(opts.labelSelector);
      const items = q.list.all(kind).map((r) => JSON.parse(r.json) as T).filter((o) => match(o.metadata.labels));
      return { items, revision: q.rev.get()!.v };
    },
    create: async <T extends StoredObject>(obj: T) => write(obj, true) as T,
    update: async <T extends StoredObject>(obj: T) => write(obj, false) as T,
    async delete() {
      throw new Error('not used by the benchmark');
    },
    async watch(): Promise<Unwatch> {
      throw new Error('not used by the benchmark');
    },
    revision: async () => q.rev.get()!.v,
    close: async () => void db.close(),
  };
}
