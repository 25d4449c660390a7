import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPeers, peersPresent } from '../testing/peers.ts';
import type { Etcd3 } from 'etcd3';
import { intToIp, ipToInt } from '../dhcp/ipv4.ts';
import { LeasePool } from '../dhcp/lease-pool.ts';
import type { Lease, LeaseStore } from '../dhcp/lease-store.ts';
import { isDragonflyError } from '../shared/errors.ts';
import { connectSwarmEtcd } from './etcd-client.ts';
import { createEtcdLeaseStore, mayReplace, type EtcdLeaseStore } from './etcd-lease-store.ts';
import { createEtcdNode, type EtcdNode } from './testing/etcd-node.ts';

let etcd: EtcdNode;
const clients: Etcd3[] = [];

beforeAll(async () => {
  if (!peersPresent(['etcd'])) return; // the suites below fail or skip, naming it
  etcd = await createEtcdNode();
  await etcd.start();
});
afterAll(async () => {
  for (const c of clients) c.close();
  await etcd?.destroy();
});

function store(prefix: string): { s: EtcdLeaseStore; client: Etcd3 } {
  const client = connectSwarmEtcd({ endpoints: [etcd.endpoint], requestTimeoutMs: 5000 });
  clients.push(client);
  return { s: createEtcdLeaseStore({ client, prefix }), client };
}

const HOUR = 3_600_000;
const bound = (ip: string, mac: string, expiresAt = Date.now() + HOUR): Lease => ({ ip, mac, state: 'bound', expiresAt });
const mac = (i: number) => `02:00:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;

describe('mayReplace (who may take an address)', () => {
  const now = 1_000;
  it('lets the same MAC renew, anyone take an expired lease, and no one take a live lease of another MAC', () => {
    expect(mayReplace(bound('10.0.0.5', 'a', 2_000), bound('10.0.0.5', 'a'), now)).toBe(true);
    expect(mayReplace(bound('10.0.0.5', 'a', 1_000), bound('10.0.0.5', 'b'), now)).toBe(true);
    expect(mayReplace(bound('10.0.0.5', 'a', 2_000), bound('10.0.0.5', 'b'), now)).toBe(false);
    expect(mayReplace({ ip: '10.0.0.5', mac: '', state: 'declined', expiresAt: 2_000 }, bound('10.0.0.5', 'a'), now)).toBe(false);
  });
});

describeWithPeers(['etcd'], 'etcd lease store', () => {
  it('stores, lists and releases leases like any LeaseStore', async () => {
    const { s } = store('/t1/');
    await s.put(bound('10.0.0.5', mac(1)));
    expect((await s.get('10.0.0.5'))?.mac).toBe(mac(1));
    expect((await s.list()).map((l) => l.ip)).toEqual(['10.0.0.5']);
    await s.release('10.0.0.5');
    expect(await s.get('10.0.0.5')).toBeUndefined();
  });

  it('refuses to bind an address another instance leased to another MAC, and names the holder', async () => {
    const a = store('/t2/').s;
    const b = store('/t2/').s;
    await a.put(bound('10.0.0.7', mac(1)));
    expect(await b.claim(bound('10.0.0.7', mac(2)))).toMatchObject({ ok: false, holder: { mac: mac(1) } });
    await expect(b.put(bound('10.0.0.7', mac(2)))).rejects.toSatisfy((e) => isDragonflyError(e, 'DF_ERR_CONFLICT'));
    expect((await a.get('10.0.0.7'))?.mac).toBe(mac(1));
  });

  it('a decline never shortens a live lease, and a release naming a MAC spares another MAC’s lease', async () => {
    const { s } = store('/t3/');
    const until = Date.now() + HOUR;
    await s.put(bound('10.0.0.9', mac(1), until));
    await s.put({ ip: '10.0.0.9', mac: '', state: 'declined', expiresAt: Date.now() + 1000 });
    expect(await s.get('10.0.0.9')).toMatchObject({ state: 'declined', expiresAt: until });
    await s.put(bound('10.0.0.10', mac(3)));
    await s.release('10.0.0.10', mac(4));
    expect((await s.get('10.0.0.10'))?.mac).toBe(mac(3));
  });
});

describeWithPeers(['etcd'], 'with the real LeasePool of two instances', () => {
  it('a stale instance (loaded before the other bound) cannot bind the same address: its bind is refused, naming the holder', async () => {
    const prefix = '/pool/';
    const pool = () => new LeasePool({ rangeStart: '10.40.0.10', rangeEnd: '10.40.0.20', reservations: new Map(), excluded: new Set(), offerHoldMs: 60_000, declineHoldMs: 600_000, store: store(prefix).s, now: Date.now });
    const [a, b] = [pool(), pool()];
    await a.load();
    await b.load(); // both see an empty pool: the failover window
    const ipA = a.choose(mac(1))!;
    const ipB = b.choose(mac(2))!;
    expect(ipB).toBe(ipA); // same in-memory view, same pick
    expect((await a.bind(ipA, mac(1), 600)).ok).toBe(true);
    expect(await b.bind(ipB, mac(2), 600)).toMatchObject({ ok: false, reason: `address ${ipA} is taken by another instance`, holder: { mac: mac(1) } });
    expect(b.entryAt(ipA)).toMatchObject({ mac: mac(1), state: 'bound', foreign: true }); // not bound to mac(2) here
    expect(b.choose(mac(2))).not.toBe(ipA);
    expect((await store(prefix).s.get(ipA))?.mac).toBe(mac(1));
  });
});

/**
 * Each instance keeps its own in-memory view (like LeasePool) and walks the range from the
 * same first address, so instances race for the same addresses all the time.
 */
async function allocateAll(stores: Array<{ s: Pick<LeaseStore, 'claim'>; dies?: () => void }>, clients: number, first: string, size: number, killAfter?: number) {
  const told = new Map<string, string>(); // ip -> mac, what clients were told
  const views = stores.map(() => new Set<string>());
  const alive = stores.map(() => true);
  let done = 0;
  async function allocate(i: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const live = stores.map((_, k) => k).filter((k) => alive[k]);
      const k = live[(i + attempt) % live.length]!;
      try {
        for (let n = 0; n < size; n++) {
          const ip = intToIp(ipToInt(first) + n);
          if (views[k]!.has(ip)) continue;
          views[k]!.add(ip);
          const lease = bound(ip, mac(i));
          const { ok } = await stores[k]!.s.claim(lease);
          if (!alive[k]) throw new Error('instance died'); // its answer never reached the client
          if (!ok) continue;
          if (told.has(ip)) throw new Error(`DUPLICATE ${ip}: ${told.get(ip)} and ${mac(i)}`);
          told.set(ip, mac(i));
          if (++done === killAfter) kill(k);
          return;
        }
        throw new Error('pool exhausted');
      } catch (e) {
        if ((e as Error).message.startsWith('DUPLICATE') || alive[k]) throw e;
        // the instance died under this client: DISCOVER again, another instance answers
      }
    }
  }
  function kill(k: number): void {
    alive[k] = false;
    stores[k]!.dies?.();
  }
  const queue = Array.from({ length: clients }, (_, i) => i);
  const workers = Array.from({ length: 48 }, async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) await allocate(i);
  });
  await Promise.all(workers);
  return { told, alive };
}

describeWithPeers(['etcd'], '1,000 clients through 3 instances, one dying mid-run', () => {
  it('never hands one address to two clients, and etcd agrees with what clients were told', async () => {
    const prefix = '/race/';
    const instances = [store(prefix), store(prefix), store(prefix)];
    const { told, alive } = await allocateAll(
      instances.map((x) => ({ s: x.s, dies: () => x.client.close() })),
      1000, '10.20.0.1', 1100, 400,
    );
    expect(alive.filter(Boolean)).toHaveLength(2);
    expect(told.size).toBe(1000);
    expect(new Set(told.values()).size).toBe(1000); // every client has its own address
    const inEtcd = new Map((await store(prefix).s.list()).map((l) => [l.ip, l.mac]));
    for (const [ip, m] of told) expect(inEtcd.get(ip), ip).toBe(m);
  });

  it('(control) a store that writes without compare-and-set does hand out duplicates under the same race', async () => {
    const prefix = '/race-plain/';
    const plain = [store(prefix), store(prefix), store(prefix)].map(({ client }) => ({
      s: { claim: async (l: Lease) => (await client.put(prefix + l.ip).value(JSON.stringify(l)), { ok: true as const }) },
    }));
    await expect(allocateAll(plain, 200, '10.30.0.1', 300)).rejects.toThrow(/DUPLICATE/);
  });
});
