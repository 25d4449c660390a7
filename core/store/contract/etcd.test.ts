import { randomBytes } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPeers, itWithPeers, peersPresent } from '../../testing/peers.ts';
import { isDragonflyError } from '../../shared/errors.ts';
import { createEtcdStore } from '../etcd/etcd-store.ts';
import { freePort, startEtcd, type EtcdProcess } from '../etcd/etcd-process.ts';
import type { Store } from '../store.ts';
import { hardware } from './fixtures.ts';
import { runStoreContract } from './store-contract.ts';

const hasEtcd = peersPresent(['etcd']);
let etcd: EtcdProcess | undefined;
let admin: Etcd3 | undefined;

beforeAll(async () => {
  if (!hasEtcd) return;
  etcd = await startEtcd();
  admin = new Etcd3({ hosts: etcd.endpoint });
});

afterAll(async () => {
  admin?.close();
  await etcd?.stop();
});

// Each test gets its own key prefix in the one etcd, so tests cannot see each other's objects.
const prefixOf = new WeakMap<Store, string>();
async function openAt(prefix: string): Promise<Store> {
  const s = await createEtcdStore({ endpoints: [etcd!.endpoint], prefix });
  prefixOf.set(s, prefix);
  return s;
}

if (hasEtcd) {
  runStoreContract('etcd', {
    open: () => openAt(`/t-${randomBytes(4).toString('hex')}/dragonfly/v1/`),
    // A new client (another instance, or this one restarted) sees the same data.
    reopen: async (s: Store) => {
      await s.close();
      return openAt(prefixOf.get(s)!);
    },
    // etcd keeps history until compaction: compact everything up to now.
    forgetHistory: async (s: Store) => {
      await admin!.kv.compact({ revision: String(await s.revision()), physical: true });
      return s;
    },
  });
} else {
  describeWithPeers(['etcd'], 'Store contract: etcd', () => {});
}

describe('etcd store', () => {
  itWithPeers(['etcd'], 'keeps objects under /dragonfly/v1/<Kind>/<name> with resourceVersion = mod_revision', async () => {
    const s = await createEtcdStore({ endpoints: [etcd!.endpoint] });
    try {
      const name = `layout-${randomBytes(3).toString('hex')}`;
      const created = await s.create(hardware(name));
      const kv = (await admin!.get(`/dragonfly/v1/Hardware/${name}`).exec()).kvs[0];
      expect(kv.mod_revision).toBe(created.metadata.resourceVersion);
      expect(JSON.parse(kv.value.toString()).metadata.uid).toBe(created.metadata.uid);
      await s.delete('Hardware', name);
    } finally {
      await s.close();
    }
  });

  itWithPeers(['etcd'], 'two instances on one etcd: a stale write from the other instance conflicts, never overwrites', async () => {
    const prefix = `/t-${randomBytes(4).toString('hex')}/dragonfly/v1/`;
    const a = await createEtcdStore({ endpoints: [etcd!.endpoint], prefix });
    const b = await createEtcdStore({ endpoints: [etcd!.endpoint], prefix });
    try {
      const v1 = await a.create(hardware('shared'));
      const fromB = await b.get('Hardware', 'shared');
      await a.update({ ...v1, status: { state: 'Ready' } });
      const err = await b.update({ ...fromB, status: { state: 'Error' } }).catch((e: unknown) => e);
      expect(isDragonflyError(err, 'DF_ERR_CONFLICT')).toBe(true);
      expect((await b.get('Hardware', 'shared')).status).toEqual({ state: 'Ready' });
    } finally {
      await a.close();
      await b.close();
    }
  });

  itWithPeers(['etcd'], 'lists more objects than fit one page as one consistent, sorted list', async () => {
    const prefix = `/t-${randomBytes(4).toString('hex')}/dragonfly/v1/`;
    const s = await createEtcdStore({ endpoints: [etcd!.endpoint], prefix, listPageSize: 7 });
    try {
      const names = Array.from({ length: 23 }, (_, i) => `p-${String(i).padStart(2, '0')}`);
      await Promise.all(names.map((n, i) => s.create(hardware(n, { odd: String(i % 2) }, i))));
      const all = await s.list('Hardware');
      expect(all.items.map((o) => o.metadata.name)).toEqual(names);
      expect(all.revision).toBe(await s.revision());
      expect((await s.list('Hardware', { labelSelector: 'odd=1' })).items).toHaveLength(11);
    } finally {
      await s.close();
    }
  });

  it('an unreachable etcd fails the start with an error naming the endpoint', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const err = await createEtcdStore({ endpoints: [endpoint], requestTimeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(isDragonflyError(err, 'DF_ERR_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toContain(`cannot reach etcd at ${endpoint}`);
  });
});
