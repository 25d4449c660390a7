import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SharedKv } from '../../shared/shared-kv.ts';
import { startEtcd, type EtcdProcess } from '../../store/etcd/etcd-process.ts';
import { openEtcdKv } from '../../swarm/etcd-kv.ts';
import { describeWithPeers } from '../../testing/peers.ts';
import { SecretBox } from './secret-box.ts';
import { SharedSecretStore } from './shared-secret-store.ts';

let etcd: EtcdProcess;
const kvs: SharedKv[] = [];

describeWithPeers(['etcd'], 'secrets of a swarm in etcd (SharedSecretStore)', () => {
  beforeAll(async () => {
    etcd = await startEtcd();
  }, 60_000);
  afterAll(async () => {
    for (const kv of kvs) await kv.close();
    await etcd?.stop();
  });

  const open = async () => {
    const kv = await openEtcdKv({ endpoints: [etcd.endpoint], prefix: `/t-${randomBytes(3).toString('hex')}/` });
    kvs.push(kv);
    return kv;
  };

  it('a member whose watch went quiet still learns a new secret and a deletion within a re-read (5 s)', async () => {
    const kv = await open();
    const box = new SecretBox(randomBytes(32));
    const writer = await SharedSecretStore.open(kv, 'credentials', box);
    // the same backend, but its watch never reports anything
    const deaf: SharedKv = { description: kv.description, get: (k) => kv.get(k), list: (p) => kv.list(p), put: (k, v, o) => kv.put(k, v, o), delete: (k) => kv.delete(k), watch: async () => () => {}, close: async () => {} };
    const reader = await SharedSecretStore.open(deaf, 'credentials', box);
    try {
      await writer.set('bmc-a', { username: 'root', secret: 's3cret-a' });
      const t0 = Date.now();
      while (reader.get('bmc-a') === undefined && Date.now() - t0 < 8000) await new Promise((r) => setTimeout(r, 50));
      expect(reader.get('bmc-a')).toEqual({ username: 'root', secret: 's3cret-a' });
      await writer.delete('bmc-a');
      while (reader.get('bmc-a') !== undefined && Date.now() - t0 < 16000) await new Promise((r) => setTimeout(r, 50));
      expect(reader.refs()).toEqual([]);
    } finally {
      writer.close();
      reader.close();
    }
  }, 30_000);

  it('a sealed value moved to another reference does not open (the reference is bound in)', async () => {
    const kv = await open();
    const box = new SecretBox(randomBytes(32));
    const s = await SharedSecretStore.open(kv, 'credentials', box);
    try {
      await s.set('bmc-b', { secret: 'only-for-b' });
      const sealed = (await kv.get('secrets/credentials/bmc-b'))!.value;
      expect(sealed).not.toContain('only-for-b');
      await kv.put('secrets/credentials/bmc-c', sealed);
      const t0 = Date.now();
      while (!s.refs().includes('bmc-c') && Date.now() - t0 < 8000) await new Promise((r) => setTimeout(r, 50));
      expect(() => s.get('bmc-c')).toThrow(/belongs to another record/);
    } finally {
      s.close();
    }
  });
});
