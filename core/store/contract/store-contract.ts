import { afterEach, describe, expect, it } from 'vitest';
import { isDragonflyError, type ErrorCode } from '../../shared/errors.ts';
import type { StoredObject } from '../../model/meta.ts';
import { mutate } from '../mutate.ts';
import type { Store } from '../store.ts';
import { hardware, recordWatch, summary, template } from './fixtures.ts';

export interface StoreFactory {
  /** A fresh, empty store (each test gets its own). */
  open(): Promise<Store>;
  /** Durable backends: closes `store` and opens the same data again. */
  reopen?(store: Store): Promise<Store>;
  /**
   * Backends with bounded watch history: makes every revision up to now unavailable to a
   * resuming watch (compaction, restart, history overflow) and returns the store to use.
   */
  forgetHistory?(store: Store): Promise<Store>;
}

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeDefined();
  if (!isDragonflyError(err, code)) throw new Error(`expected ${code}, got ${String(err)}`);
}

/** The behaviour every Store backend must show; run once per backend. */
export function runStoreContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    const open: Store[] = [];
    const fresh = async () => {
      const s = await factory.open();
      open.push(s);
      return s;
    };
    const track = (s: Store) => (open.push(s), s);
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close().catch(() => {})));
    });

    it('create sets uid, resourceVersion and creationTimestamp, and get returns the object', async () => {
      const s = await fresh();
      const created = await s.create(hardware('amber-falcon', { rack: 'r1' }));
      expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(0);
      expect(Date.parse(created.metadata.creationTimestamp!)).not.toBeNaN();
      expect(await s.get('Hardware', 'amber-falcon')).toEqual(created);
      expect(await s.revision()).toBeGreaterThanOrEqual(Number(created.metadata.resourceVersion));
    });

    it('a second create with a taken name fails with DF_ERR_ALREADY_EXISTS and keeps the first', async () => {
      const s = await fresh();
      const first = await s.create(hardware('dup', { n: '1' }));
      await expectCode(s.create(hardware('dup', { n: '2' })), 'DF_ERR_ALREADY_EXISTS');
      expect((await s.get('Hardware', 'dup')).metadata).toEqual(first.metadata);
    });

    it('the same name in two kinds is two objects', async () => {
      const s = await fresh();
      await s.create(hardware('same'));
      await s.create(template('same'));
      expect((await s.get('Template', 'same')).kind).toBe('Template');
      expect((await s.list('Hardware')).items.map((o) => o.kind)).toEqual(['Hardware']);
    });

    it('get, update and delete of a missing object fail with DF_ERR_NOT_FOUND', async () => {
      const s = await fresh();
      await expectCode(s.get('Hardware', 'ghost'), 'DF_ERR_NOT_FOUND');
      await expectCode(s.update({ ...hardware('ghost'), metadata: { name: 'ghost', resourceVersion: '1' } }), 'DF_ERR_NOT_FOUND');
      await expectCode(s.delete('Hardware', 'ghost'), 'DF_ERR_NOT_FOUND');
    });

    it('list returns the kind sorted by name and filters by label selector', async () => {
      const s = await fresh();
      await s.create(hardware('c-node', { rack: 'r2', gpu: 'yes' }, 3));
      await s.create(hardware('a-node', { rack: 'r1' }, 1));
      await s.create(hardware('b-node', { rack: 'r1', retired: 'true' }, 2));
      await s.create(template('not-hardware'));
      const names = async (sel?: string) => (await s.list('Hardware', { labelSelector: sel })).items.map((o) => o.metadata.name);
      expect(await names()).toEqual(['a-node', 'b-node', 'c-node']);
      expect(await names('rack=r1')).toEqual(['a-node', 'b-node']);
      expect(await names('rack!=r1')).toEqual(['c-node']);
      expect(await names('rack in (r2,r9)')).toEqual(['c-node']);
      expect(await names('rack notin (r2)')).toEqual(['a-node', 'b-node']);
      expect(await names('gpu')).toEqual(['c-node']);
      expect(await names('rack=r1,!retired')).toEqual(['a-node']);
      const listed = await s.list('Hardware');
      expect(listed.revision).toBe(await s.revision());
      await expectCode(s.list('Hardware', { labelSelector: 'bad key!' }), 'DF_ERR_INVALID');
    });

    it('update with the version read succeeds and moves the version; uid and creation time stay', async () => {
      const s = await fresh();
      const v1 = await s.create(hardware('upd'));
      const v2 = await s.update({ ...v1, status: { state: 'Ready' } });
      expect(Number(v2.metadata.resourceVersion)).toBeGreaterThan(Number(v1.metadata.resourceVersion));
      expect(v2.metadata.uid).toBe(v1.metadata.uid);
      expect(v2.metadata.creationTimestamp).toBe(v1.metadata.creationTimestamp);
      expect((await s.get('Hardware', 'upd')).status).toEqual({ state: 'Ready' });
    });

    it('update with a stale version fails with DF_ERR_CONFLICT and changes nothing', async () => {
      const s = await fresh();
      const v1 = await s.create(hardware('stale'));
      const v2 = await s.update({ ...v1, status: { state: 'Ready' } });
      await expectCode(s.update({ ...v1, status: { state: 'Error' } }), 'DF_ERR_CONFLICT');
      expect(await s.get('Hardware', 'stale')).toEqual(v2);
    });

    it('update without a resourceVersion fails with DF_ERR_CONFLICT (no blind writes)', async () => {
      const s = await fresh();
      const v1 = await s.create(hardware('blind'));
      const { resourceVersion: _, ...meta } = v1.metadata;
      await expectCode(s.update({ ...v1, metadata: meta, status: { state: 'Error' } }), 'DF_ERR_CONFLICT');
      expect(await s.get('Hardware', 'blind')).toEqual(v1);
    });

    it('delete without a version removes; with a stale version conflicts; with the current one removes', async () => {
      const s = await fresh();
      await s.create(hardware('d1'));
      await s.delete('Hardware', 'd1');
      await expectCode(s.get('Hardware', 'd1'), 'DF_ERR_NOT_FOUND');

      const v1 = await s.create(hardware('d2'));
      const v2 = await s.update({ ...v1, status: { state: 'Ready' } });
      await expectCode(s.delete('Hardware', 'd2', { resourceVersion: v1.metadata.resourceVersion }), 'DF_ERR_CONFLICT');
      expect(await s.get('Hardware', 'd2')).toEqual(v2);
      await s.delete('Hardware', 'd2', { resourceVersion: v2.metadata.resourceVersion });
      expect((await s.list('Hardware')).items).toEqual([]);
    });

    it('objects handed out are copies: changing one does not change the store', async () => {
      const s = await fresh();
      const created = await s.create(hardware('copy', { a: '1' }));
      created.metadata.labels!.a = 'changed';
      const got = await s.get('Hardware', 'copy');
      got.metadata.labels!.a = 'changed too';
      expect((await s.get('Hardware', 'copy')).metadata.labels).toEqual({ a: '1' });
    });

    it('watch delivers ADDED, MODIFIED, DELETED in order with rising revisions', async () => {
      const s = await fresh();
      const w = await recordWatch(s);
      const v1 = await s.create(hardware('w1'));
      await s.update({ ...v1, status: { state: 'Ready' } });
      await s.delete('Hardware', 'w1');
      await w.waitFor(3);
      expect(summary(w.events)).toEqual(['ADDED Hardware/w1', 'MODIFIED Hardware/w1', 'DELETED Hardware/w1']);
      const revs = w.events.map((e) => e.revision);
      expect(revs).toEqual([...revs].sort((a, b) => a - b));
      expect(new Set(revs).size).toBe(3);
      expect(w.events[1].object.status).toEqual({ state: 'Ready' });
      expect(w.events[1].object.metadata.resourceVersion).toBe(String(w.events[1].revision));
      expect(w.events[2].object.metadata.uid).toBe(v1.metadata.uid);
    });

    it('a watch filtered by kind hears only that kind, and stops after unwatch', async () => {
      const s = await fresh();
      const w = await recordWatch(s, { kind: 'Template' });
      await s.create(hardware('h1'));
      await s.create(template('t1'));
      await w.waitFor(1);
      w.stop();
      await s.create(template('t2'));
      const all = await recordWatch(s); // a later watch proves the write went through
      await s.create(template('t3'));
      await all.waitFor(1);
      expect(summary(w.events)).toEqual(['ADDED Template/t1']);
    });

    it('a watch from a revision replays the events after it, then continues live', async () => {
      const s = await fresh();
      await s.create(hardware('before'));
      const from = await s.revision();
      const v = await s.create(hardware('missed-1'));
      await s.update({ ...v, status: { state: 'Ready' } });
      await s.create(template('missed-2'));
      const w = await recordWatch(s, { fromRevision: from, kind: 'Hardware' });
      await w.waitFor(2);
      await s.delete('Hardware', 'before');
      await w.waitFor(3);
      expect(summary(w.events)).toEqual(['ADDED Hardware/missed-1', 'MODIFIED Hardware/missed-1', 'DELETED Hardware/before']);
      expect(w.events[0].revision).toBeGreaterThan(from);
    });

    it('a list revision is a watch starting point that misses nothing', async () => {
      const s = await fresh();
      await s.create(hardware('l1'));
      const { revision } = await s.list('Hardware');
      await s.create(hardware('l2'));
      const w = await recordWatch(s, { fromRevision: revision });
      await w.waitFor(1);
      expect(summary(w.events)).toEqual(['ADDED Hardware/l2']);
    });

    // Capabilities a backend lacks by design (a memory store cannot survive a close) are not
    // its tests at all, so they are left out rather than counted as skipped.
    if (factory.forgetHistory) it('resuming from a revision whose history is gone fails with DF_ERR_GONE (backend keeps all history)', async () => {
      let s = await fresh();
      await s.create(hardware('old'));
      const from = await s.revision();
      const v = await s.create(hardware('newer'));
      await s.update({ ...v, status: { state: 'Ready' } });
      s = track(await factory.forgetHistory!(s));
      await expectCode(s.watch({ fromRevision: from - 1 }, () => {}), 'DF_ERR_GONE');
      // Watching from now still works after history is gone.
      const w = await recordWatch(s, { fromRevision: await s.revision() });
      await s.create(hardware('after'));
      await w.waitFor(1);
      expect(summary(w.events)).toEqual(['ADDED Hardware/after']);
    });

    it('concurrent updates from the same read: exactly one wins, the rest conflict', async () => {
      const s = await fresh();
      const v1 = await s.create(hardware('race'));
      const results = await Promise.allSettled(
        Array.from({ length: 16 }, (_, i) => s.update({ ...v1, status: { state: 'Ready', message: `writer ${i}` } })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      expect(won).toHaveLength(1);
      expect(lost.every((r) => isDragonflyError(r.reason, 'DF_ERR_CONFLICT'))).toBe(true);
      const winner = (won[0] as PromiseFulfilledResult<StoredObject>).value;
      expect((await s.get('Hardware', 'race')).status).toEqual(winner.status);
    });

    it('concurrent read-modify-write with retry loses no increment', async () => {
      const s = await fresh();
      await s.create({ ...hardware('counter'), metadata: { name: 'counter', annotations: { count: '0' } } });
      const bump = (o: StoredObject) => {
        o.metadata.annotations = { count: String(Number(o.metadata.annotations?.count ?? 0) + 1) };
        return o;
      };
      await Promise.all(Array.from({ length: 8 }, () => mutate(s, 'Hardware', 'counter', bump, 50)));
      expect((await s.get('Hardware', 'counter')).metadata.annotations).toEqual({ count: '8' });
    });

    if (factory.reopen) it('data survives close and reopen, and revisions keep rising (durable backend)', async () => {
      const s = await fresh();
      const a = await s.create(hardware('keep-a', { rack: 'r1' }, 1));
      const b = await s.create(hardware('keep-b', {}, 2));
      await s.update({ ...b, status: { state: 'Ready' } });
      await s.create(template('keep-t'));
      await s.delete('Hardware', 'keep-b');
      const rev = await s.revision();
      const again = track(await factory.reopen!(s));
      expect(await again.get('Hardware', 'keep-a')).toEqual(a);
      expect((await again.list('Hardware')).items.map((o) => o.metadata.name)).toEqual(['keep-a']);
      expect((await again.list('Template')).items).toHaveLength(1);
      expect(await again.revision()).toBeGreaterThanOrEqual(rev);
      const c = await again.create(hardware('keep-c', {}, 3));
      expect(Number(c.metadata.resourceVersion)).toBeGreaterThan(rev);
    });
  });
}
