import { randomUUID } from 'node:crypto';
import { Etcd3, type IKeyValue, type IWatchResponse } from 'etcd3';
import { DragonflyError, conflict, notFound } from '../../shared/errors.ts';
import { discardLogger, type Logger } from '../../shared/logger.ts';
import type { Kind } from '../../model/kinds.ts';
import type { StoredObject } from '../../model/meta.ts';
import { parseLabelSelector } from '../selector.ts';
import type { ListOptions, ListResult, Store, Unwatch, WatchEvent, WatchOptions } from '../store.ts';
import { DEFAULT_PREFIX, decodeValue, encodeValue, kindOfKey, kindPrefix, objectKey } from './etcd-codec.ts';

export interface EtcdStoreOptions {
  /** Client URLs of the etcd cluster, e.g. ["http://10.0.0.5:2379"]. Required, at least one. */
  endpoints: string[];
  /** Key prefix under which objects live. Default "/dragonfly/v1/"; must end with "/". */
  prefix?: string;
  /** Deadline of each etcd request, in milliseconds. Default 5000; 0 means no deadline. */
  requestTimeoutMs?: number;
  /** Keys per list request. Default 500 (gRPC caps a message at 4 MB); must be at least 1. */
  listPageSize?: number;
  /** Default: discardLogger. Logs watches that etcd cancels. */
  logger?: Logger;
}

/** Default keys per list page: 500 objects of a few KB stay well under gRPC's 4 MB message cap. */
const LIST_PAGE = 500;

/** The first key after every key starting with `prefix` (etcd's range_end for a prefix). */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

const isCompacted = (e: unknown) => /compacted/i.test(String((e as Error)?.message));

/** Shared state (several instances, one etcd): every check-and-write is one etcd transaction. */
export async function createEtcdStore(opts: EtcdStoreOptions): Promise<Store> {
  if (!opts.endpoints?.length) throw new DragonflyError('DF_ERR_INVALID', 'the etcd backend needs at least one endpoint');
  const timeout = opts.requestTimeoutMs ?? 5_000;
  const client = new Etcd3({
    hosts: opts.endpoints,
    dialTimeout: timeout || undefined,
    defaultCallOptions: (ctx) => (ctx.isStream || !timeout ? {} : { deadline: Date.now() + timeout }),
  });
  const store = new EtcdStore(client, opts.prefix ?? DEFAULT_PREFIX, opts.logger ?? discardLogger, opts.endpoints, opts.listPageSize ?? LIST_PAGE);
  try {
    await store.revision();
  } catch (e) {
    client.close();
    throw new DragonflyError('DF_ERR_UNAVAILABLE', `cannot reach etcd at ${opts.endpoints.join(', ')}: ${(e as Error).message}`, {
      endpoints: opts.endpoints,
    });
  }
  return store;
}

class EtcdStore implements Store {
  readonly backend = 'etcd';
  private readonly unwatchers = new Set<Unwatch>();

  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly endpoints: string[],
    private readonly pageSize: number,
  ) {}

  private key(kind: Kind, name: string): string {
    return objectKey(this.prefix, kind, name);
  }

  /** Maps transport failures to DF_ERR_UNAVAILABLE naming the endpoints; passes our own errors through. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof DragonflyError) throw e;
      throw new DragonflyError('DF_ERR_UNAVAILABLE', `etcd at ${this.endpoints.join(', ')} failed to ${what}: ${(e as Error).message}`);
    }
  }

  private async readKv(kind: Kind, name: string): Promise<IKeyValue | undefined> {
    const res = await this.call('read', () => this.client.get(this.key(kind, name)).exec());
    return res.kvs[0];
  }

  async get<T extends StoredObject>(kind: Kind, name: string): Promise<T> {
    const kv = await this.readKv(kind, name);
    if (!kv) throw notFound(`${kind} "${name}"`);
    return decodeValue(kv) as T;
  }

  async list<T extends StoredObject>(kind: Kind, opts: ListOptions = {}): Promise<ListResult<T>> {
    const match = parseLabelSelector(opts.labelSelector);
    const { kvs, revision } = await this.rangeAll(kindPrefix(this.prefix, kind));
    const items = kvs
      .map((kv) => decodeValue(kv) as T)
      .filter((o) => match(o.metadata.labels))
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    return { items, revision };
  }

  /**
   * Every key under `prefix`, in pages (one gRPC message is capped at a few MB, 10,000
   * machines are more), all read at the revision of the first page so the list is one
   * consistent snapshot.
   */
  private async rangeAll(prefix: string): Promise<{ kvs: IKeyValue[]; revision: number }> {
    const end = prefixEnd(Buffer.from(prefix));
    const kvs: IKeyValue[] = [];
    let key = Buffer.from(prefix);
    let revision: string | undefined;
    for (;;) {
      const res = await this.call('list', () =>
        this.client.kv.range({ key, range_end: end, limit: String(this.pageSize), ...(revision ? { revision } : {}) }),
      );
      revision ??= res.header.revision;
      kvs.push(...res.kvs);
      if (!res.more || !res.kvs.length) return { kvs, revision: Number(revision) };
      key = Buffer.concat([res.kvs[res.kvs.length - 1].key, Buffer.from([0])]); // just after the last key
    }
  }

  async create<T extends StoredObject>(obj: T): Promise<T> {
    const kind = obj.kind as Kind;
    const name = obj.metadata.name;
    const stored = structuredClone(obj);
    stored.metadata = { ...stored.metadata, uid: randomUUID(), creationTimestamp: new Date().toISOString() };
    const key = this.key(kind, name);
    const res = await this.call('create', () =>
      this.client.if(key, 'Create', '==', 0).then(this.client.put(key).value(encodeValue(stored))).commit(),
    );
    if (!res.succeeded) throw new DragonflyError('DF_ERR_ALREADY_EXISTS', `${kind} "${name}" already exists`);
    stored.metadata.resourceVersion = res.header.revision;
    return stored;
  }

  async update<T extends StoredObject>(obj: T): Promise<T> {
    const kind = obj.kind as Kind;
    const name = obj.metadata.name;
    const readVersion = obj.metadata.resourceVersion;
    const current = await this.readKv(kind, name);
    if (!current) throw notFound(`${kind} "${name}"`);
    if (readVersion === undefined) throw conflict(`update of ${kind} "${name}" must carry the resourceVersion it read`);
    const changed = () =>
      conflict(`${kind} "${name}" was changed by someone else (you read version ${readVersion}); read it again and retry`);
    if (readVersion !== current.mod_revision) throw changed();
    // uid and creation time are the server's, whatever the caller sent.
    const { uid, creationTimestamp } = decodeValue(current).metadata;
    const stored = structuredClone(obj);
    stored.metadata = { ...stored.metadata, uid, creationTimestamp };
    const key = this.key(kind, name);
    // The compare makes it exact: of many writers holding the same version, one wins.
    const res = await this.call('update', () =>
      this.client.if(key, 'Mod', '==', readVersion).then(this.client.put(key).value(encodeValue(stored))).commit(),
    );
    if (!res.succeeded) throw changed();
    stored.metadata.resourceVersion = res.header.revision;
    return stored;
  }

  async delete(kind: Kind, name: string, opts: { resourceVersion?: string } = {}): Promise<void> {
    const key = this.key(kind, name);
    const rv = opts.resourceVersion;
    if (rv === undefined) {
      const res = await this.call('delete', () => this.client.delete().key(key).exec());
      if (res.deleted === '0') throw notFound(`${kind} "${name}"`);
      return;
    }
    if (!/^\d+$/.test(rv)) throw conflict(`${kind} "${name}" has no version ${JSON.stringify(rv)}; not deleted`);
    const res = await this.call('delete', () =>
      this.client.if(key, 'Mod', '==', rv).then(this.client.delete().key(key)).else(this.client.get(key)).commit(),
    );
    if (res.succeeded) return;
    if (!res.responses[0]?.response_range?.kvs.length) throw notFound(`${kind} "${name}"`);
    throw conflict(`${kind} "${name}" was changed since version ${rv}; not deleted`);
  }

  async watch(opts: WatchOptions, onEvent: (e: WatchEvent) => void): Promise<Unwatch> {
    const builder = this.client.watch().prefix(opts.kind ? kindPrefix(this.prefix, opts.kind) : this.prefix).withPreviousKV();
    if (opts.fromRevision !== undefined) {
      await this.assertHistoryKept(opts.fromRevision);
      builder.startRevision(String(opts.fromRevision + 1));
    }
    const watcher = await this.call('watch', () => builder.create()).catch((e: unknown) => {
      throw isCompacted(e) ? this.gone(opts.fromRevision!) : e;
    });
    watcher.on('data', (res: IWatchResponse) => {
      for (const ev of res.events) {
        const e = this.toWatchEvent(ev.type, ev.kv, ev.prev_kv);
        if (e) onEvent(e);
      }
    });
    watcher.on('error', (e: Error) => {
      this.logger.error({ err: e }, `etcd cancelled a watch on ${this.prefix}: ${e.message}; its events stop here`);
    });
    const unwatch = () => {
      this.unwatchers.delete(unwatch);
      void watcher.cancel().catch(() => {});
    };
    this.unwatchers.add(unwatch);
    return unwatch;
  }

  private gone(fromRevision: number): DragonflyError {
    return new DragonflyError('DF_ERR_GONE', `revision ${fromRevision} is too old to resume from (etcd compacted it); list again`);
  }

  /** etcd answers a compacted start revision by cancelling the watch later; ask first so the caller gets DF_ERR_GONE now. */
  private async assertHistoryKept(fromRevision: number): Promise<void> {
    const current = await this.revision();
    if (fromRevision + 1 > current) return;
    await this.call('check history', () =>
      this.client.kv.range({ key: Buffer.from(this.prefix), revision: String(fromRevision + 1), limit: '1' }),
    ).catch((e: unknown) => {
      throw isCompacted(e) ? this.gone(fromRevision) : e;
    });
  }

  private toWatchEvent(type: 'Put' | 'Delete', kv: IKeyValue, prev?: IKeyValue): WatchEvent | undefined {
    const kind = kindOfKey(this.prefix, kv.key.toString('utf8'));
    if (!kind) return undefined;
    const revision = Number(kv.mod_revision);
    if (type === 'Delete') {
      if (!prev) return undefined; // history of the old value compacted: nothing to describe
      return { type: 'DELETED', kind, object: decodeValue(prev, kv.mod_revision), revision };
    }
    const added = kv.create_revision === kv.mod_revision;
    return { type: added ? 'ADDED' : 'MODIFIED', kind, object: decodeValue(kv), revision };
  }

  async revision(): Promise<number> {
    const res = await this.call('read the revision', () =>
      this.client.kv.range({ key: Buffer.from(this.prefix), count_only: true }),
    );
    return Number(res.header.revision);
  }

  async close(): Promise<void> {
    for (const u of [...this.unwatchers]) u();
    this.client.close();
  }
}
