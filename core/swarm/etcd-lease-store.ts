/**
 * A DHCP LeaseStore on etcd, shared by every instance of a swarm. One key per address,
 * `/dragonfly/v1/dhcp/leases/<ip>`, holding the Lease as JSON.
 *
 * Every write is a compare-and-set in one etcd transaction, so an address is never bound to
 * two MACs, even while leadership moves and a stepped-down leader still has a write in
 * flight: a bound lease is written only if the key is absent, or (unchanged since we read
 * it, by mod revision) expired, declined-and-expired, or already bound to the same MAC.
 *
 * `claim` (what LeasePool.bind uses) says "refused" without throwing and names the holder,
 * so the pool can NAK the client; `put` rejects with DF_ERR_CONFLICT in the same case.
 * `release(ip, mac)` deletes the key only while it is still that MAC's lease.
 */
import type { Etcd3, IKeyValue } from 'etcd3';
import { DragonflyError } from '../shared/errors.ts';
import { mayReplace, type ClaimResult, type Lease, type LeaseStore } from '../dhcp/lease-store.ts';

export { mayReplace, type ClaimResult };

export interface EtcdLeaseStoreOptions {
  /** The etcd client (see connectSwarmEtcd); closed by close() only if ownsClient. */
  client: Etcd3;
  /** Key prefix, ending in "/". Default "/dragonfly/v1/dhcp/leases/". Use one prefix per segment if segments overlap. */
  prefix?: string;
  /** Milliseconds since the epoch, to judge expiry. Default Date.now. */
  now?: () => number;
  /** Close the client in close(). Default false. */
  ownsClient?: boolean;
}

export interface EtcdLeaseStore extends LeaseStore {
  close(): void;
}

export const DEFAULT_LEASE_PREFIX = '/dragonfly/v1/dhcp/leases/';

/** After this many lost races on one key in one call, give up (someone is rewriting it in a loop). */
const MAX_CAS_ROUNDS = 8;

/** A decline never shortens a live lease it replaces: the address stays out at least as long. */
function merged(current: Lease | undefined, next: Lease, now: number): Lease {
  if (next.state !== 'declined' || !current || current.expiresAt <= now) return next;
  return { ...next, expiresAt: Math.max(next.expiresAt, current.expiresAt) };
}

function decode(kv: IKeyValue | undefined): Lease | undefined {
  return kv ? (JSON.parse(kv.value.toString('utf8')) as Lease) : undefined;
}

export function createEtcdLeaseStore(opts: EtcdLeaseStoreOptions): EtcdLeaseStore {
  const { client } = opts;
  const prefix = opts.prefix ?? DEFAULT_LEASE_PREFIX;
  const now = opts.now ?? Date.now;
  const key = (ip: string) => prefix + ip;

  /** Creates the key if absent; otherwise returns what is there (one round trip either way). */
  async function createOrRead(lease: Lease): Promise<IKeyValue | undefined> {
    const k = key(lease.ip);
    const res = await client.if(k, 'Create', '==', 0).then(client.put(k).value(JSON.stringify(lease))).else(client.get(k)).commit();
    if (res.succeeded) return undefined;
    return res.responses[0]?.response_range?.kvs[0];
  }

  async function replaceIfUnchanged(kv: IKeyValue, lease: Lease): Promise<boolean> {
    const k = key(lease.ip);
    const res = await client.if(k, 'Mod', '==', kv.mod_revision).then(client.put(k).value(JSON.stringify(lease))).commit();
    return res.succeeded;
  }

  async function claim(lease: Lease): Promise<ClaimResult> {
    for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
      const kv = await createOrRead(lease);
      if (!kv) return { ok: true };
      const current = decode(kv)!;
      const t = now();
      if (!mayReplace(current, lease, t)) return { ok: false, holder: current };
      if (await replaceIfUnchanged(kv, merged(current, lease, t))) return { ok: true };
    }
    throw new DragonflyError('DF_ERR_CONFLICT', `DHCP lease for ${lease.ip} kept changing under us in etcd; try again`);
  }

  async function release(ip: string, mac?: string): Promise<void> {
    if (mac === undefined) {
      await client.delete().key(key(ip)).exec();
      return;
    }
    // Compare-and-delete: if the key changed between read and delete, read again.
    for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
      const kv = await client.get(key(ip)).exec().then((r) => r.kvs[0]);
      if (!kv || decode(kv)!.mac !== mac) return;
      if ((await client.if(key(ip), 'Mod', '==', kv.mod_revision).then(client.delete().key(key(ip))).commit()).succeeded) return;
    }
    throw new DragonflyError('DF_ERR_CONFLICT', `DHCP lease for ${ip} kept changing under us in etcd; try again`);
  }

  return {
    claim,
    release,
    async put(lease) {
      const r = await claim(lease);
      if (!r.ok) throw new DragonflyError('DF_ERR_CONFLICT', `${lease.ip} is leased to ${r.holder.mac || 'a declined hold'} by another instance until ${new Date(r.holder.expiresAt).toISOString()}`);
    },
    async get(ip) {
      return decode((await client.get(key(ip)).exec()).kvs[0]);
    },
    async list() {
      const res = await client.getAll().prefix(prefix).exec();
      return res.kvs.map((kv) => decode(kv)!);
    },
    close() {
      if (opts.ownsClient) client.close();
    },
  };
}
