/**
 * SharedKv over etcd: every key lives under one prefix (default "/dragonfly/swarm/"), a
 * compare-and-set is one etcd transaction on the key's mod revision, and a TTL is an etcd
 * lease granted for that key alone (never kept alive: the key is meant to go away).
 */
import type { Etcd3, IKeyValue } from 'etcd3';
import { DragonflyError } from '../shared/errors.ts';
import type { KvEntry, KvPutOptions, SharedKv } from '../shared/shared-kv.ts';
import { connectSwarmEtcd } from './etcd-client.ts';

export const SWARM_PREFIX = '/dragonfly/swarm/';

export interface EtcdKvOptions {
  endpoints: string[];
  /** Key prefix, ending in "/". Default "/dragonfly/swarm/". */
  prefix?: string;
  /** Deadline of each etcd call, ms. Default 5000. */
  requestTimeoutMs?: number;
}

export async function openEtcdKv(opts: EtcdKvOptions): Promise<SharedKv> {
  const client = connectSwarmEtcd({ endpoints: opts.endpoints, requestTimeoutMs: opts.requestTimeoutMs ?? 5000 });
  const kv = new EtcdKv(client, opts.prefix ?? SWARM_PREFIX, `etcd ${opts.endpoints.join(', ')} under ${opts.prefix ?? SWARM_PREFIX}`);
  try {
    await kv.get('probe');
  } catch (e) {
    client.close();
    throw e;
  }
  return kv;
}

class EtcdKv implements SharedKv {
  private readonly unwatchers = new Set<() => void>();

  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    readonly description: string,
  ) {}

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof DragonflyError) throw e;
      throw new DragonflyError('DF_ERR_UNAVAILABLE', `${this.description}: cannot ${what}: ${(e as Error).message}`);
    }
  }

  private entry(kv: IKeyValue): KvEntry {
    return { key: kv.key.toString('utf8').slice(this.prefix.length), value: kv.value.toString('utf8'), version: kv.mod_revision };
  }

  async get(key: string): Promise<KvEntry | undefined> {
    const res = await this.call(`read ${key}`, () => this.client.get(this.prefix + key).exec());
    return res.kvs[0] && this.entry(res.kvs[0]);
  }

  async list(prefix: string): Promise<KvEntry[]> {
    const res = await this.call(`list ${prefix}`, () => this.client.getAll().prefix(this.prefix + prefix).sort('Key', 'Ascend').exec());
    return res.kvs.map((kv) => this.entry(kv));
  }

  async put(key: string, value: string, opts: KvPutOptions = {}): Promise<boolean> {
    const full = this.prefix + key;
    return this.call(`write ${key}`, async () => {
      const put = this.client.put(full).value(value);
      if (opts.ttlSeconds) put.lease((await this.client.leaseClient.leaseGrant({ TTL: opts.ttlSeconds })).ID);
      if (opts.ifVersion === undefined) {
        await put.exec();
        return true;
      }
      const guard = opts.ifVersion === '' ? this.client.if(full, 'Create', '==', 0) : this.client.if(full, 'Mod', '==', opts.ifVersion);
      return (await guard.then(put).commit()).succeeded;
    });
  }

  async delete(key: string): Promise<void> {
    await this.call(`delete ${key}`, () => this.client.delete().key(this.prefix + key).exec());
  }

  async watch(prefix: string, onChange: (key: string, value: string | undefined) => void): Promise<() => void> {
    const watcher = await this.call(`watch ${prefix}`, () => this.client.watch().prefix(this.prefix + prefix).create());
    watcher.on('put', (kv) => onChange(kv.key.toString('utf8').slice(this.prefix.length), kv.value.toString('utf8')));
    watcher.on('delete', (kv) => onChange(kv.key.toString('utf8').slice(this.prefix.length), undefined));
    watcher.on('error', () => {}); // etcd3 reconnects the watch by itself; its events resume then
    const unwatch = () => {
      this.unwatchers.delete(unwatch);
      void watcher.cancel().catch(() => {});
    };
    this.unwatchers.add(unwatch);
    return unwatch;
  }

  async close(): Promise<void> {
    for (const u of [...this.unwatchers]) u();
    this.client.close();
  }
}
