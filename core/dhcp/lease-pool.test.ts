import { describe, expect, it } from 'vitest';
import { LeasePool } from './lease-pool.ts';
import { createMemoryLeaseStore } from './lease-store.ts';

function pool(over: { reservations?: Array<[string, string]>; end?: string } = {}) {
  let now = 1_000_000;
  const store = createMemoryLeaseStore();
  const p = new LeasePool({
    rangeStart: '10.0.0.10',
    rangeEnd: over.end ?? '10.0.0.12',
    reservations: new Map(over.reservations ?? []),
    excluded: new Set(['10.0.0.11']),
    offerHoldMs: 30_000,
    declineHoldMs: 60_000,
    store,
    now: () => now,
  });
  return { p, store, advance: (ms: number) => (now += ms) };
}

const A = '52:54:00:00:00:0a';
const B = '52:54:00:00:00:0b';

describe('LeasePool address choice (RFC 2131 4.3.1)', () => {
  it('prefers the reservation, then the current address, then the requested one', async () => {
    const { p } = pool({ reservations: [[A, '10.0.0.200']] });
    expect(p.choose(A, '10.0.0.12')).toBe('10.0.0.200');
    expect(p.choose(B, '10.0.0.12')).toBe('10.0.0.12');
    await p.bind('10.0.0.10', B, 60);
    expect(p.choose(B, '10.0.0.12')).toBe('10.0.0.10');
  });

  it('never hands out the excluded server address or a reservation of another MAC', () => {
    const { p } = pool({ reservations: [[A, '10.0.0.12']] });
    expect(p.choose(B)).toBe('10.0.0.10');
    p.hold('10.0.0.10', B);
    expect(p.choose('52:54:00:00:00:0c')).toBeUndefined();
  });

  it('reuses an address once its offer hold expired', () => {
    const { p, advance } = pool({ end: '10.0.0.10' });
    p.hold(p.choose(A)!, A);
    expect(p.choose(B)).toBeUndefined();
    advance(30_001);
    expect(p.choose(B)).toBe('10.0.0.10');
  });

  it('writes bound and declined addresses to the store, not offers', async () => {
    const { p, store } = pool();
    p.hold('10.0.0.10', A);
    expect(await store.list()).toEqual([]);
    await p.bind('10.0.0.10', A, 60);
    await p.markBad('10.0.0.12');
    expect((await store.list()).map((l) => [l.ip, l.state])).toEqual([
      ['10.0.0.10', 'bound'],
      ['10.0.0.12', 'declined'],
    ]);
  });

  it('lets only the owner release', async () => {
    const { p } = pool();
    await p.bind('10.0.0.10', A, 60);
    expect(await p.release('10.0.0.10', B)).toBe(false);
    expect(await p.release('10.0.0.10', A)).toBe(true);
    expect(p.entryAt('10.0.0.10')).toBeUndefined();
  });
});

describe('LeasePool sharing its store with another instance', () => {
  /** Two pools (instances) over one store, on one clock; each loaded before the other bound anything. */
  function twoInstances() {
    let now = 1_000_000;
    const store = createMemoryLeaseStore([], { now: () => now });
    const make = () => new LeasePool({ rangeStart: '10.0.0.10', rangeEnd: '10.0.0.12', reservations: new Map(), excluded: new Set(), offerHoldMs: 30_000, declineHoldMs: 60_000, store, now: () => now });
    return { a: make(), b: make(), store, advance: (ms: number) => (now += ms) };
  }

  it('a bind the store refuses is not recorded here: it names the holder, and the address is skipped from then on', async () => {
    const { a, b, store } = twoInstances();
    b.hold(b.choose(B)!, B);
    expect(await a.bind('10.0.0.10', A, 60)).toMatchObject({ ok: true });
    const refused = await b.bind('10.0.0.10', B, 60);
    expect(refused).toEqual({ ok: false, reason: 'address 10.0.0.10 is taken by another instance', holder: expect.objectContaining({ mac: A, state: 'bound' }) });
    expect(b.entryOf(B)).toBeUndefined(); // B has nothing here, neither bound nor offered
    expect(b.entryAt('10.0.0.10')).toMatchObject({ mac: A, state: 'bound', foreign: true });
    expect(b.availableTo('10.0.0.10', B)).toBe(false);
    expect(b.choose(B)).toBe('10.0.0.11');
    expect(await b.bind('10.0.0.10', B, 60)).toMatchObject({ ok: false, reason: 'address 10.0.0.10 is taken by another instance' });
    expect((await store.get('10.0.0.10'))?.mac).toBe(A);
  });

  it('freeInStore reports (and remembers) an address the other instance bound after this one loaded', async () => {
    const { a, b } = twoInstances();
    await a.bind('10.0.0.10', A, 60);
    expect(b.choose(B)).toBe('10.0.0.10'); // B's memory knows nothing yet
    expect(await b.freeInStore('10.0.0.10', B)).toBe(false);
    expect(b.choose(B)).toBe('10.0.0.11');
    expect(await b.freeInStore('10.0.0.10', A)).toBe(true); // the holder itself may have it
  });

  it('release frees only the caller’s own claim, even when this pool’s record is stale', async () => {
    const { a, b, store, advance } = twoInstances();
    await a.bind('10.0.0.10', A, 60);
    advance(61_000); // A's lease ran out; the other instance gives the address to B
    expect(await b.bind('10.0.0.10', B, 60)).toMatchObject({ ok: true });
    expect(await a.release('10.0.0.10', A)).toBe(true); // A's own (stale) record goes...
    expect(a.entryAt('10.0.0.10')).toBeUndefined();
    expect((await store.get('10.0.0.10'))?.mac).toBe(B); // ...B's lease stays
    expect(await b.release('10.0.0.10', B)).toBe(true);
    expect(await store.get('10.0.0.10')).toBeUndefined();
  });

  it('moving a client to a new address gives back its old one in the store, not someone else’s', async () => {
    const { a, b, store, advance } = twoInstances();
    await a.bind('10.0.0.10', A, 60);
    await a.bind('10.0.0.11', A, 60);
    expect((await store.list()).map((l) => [l.ip, l.mac])).toEqual([['10.0.0.11', A]]);
    expect(a.availableTo('10.0.0.10', B)).toBe(true);
    advance(61_000); // A's lease on .11 ran out; the other instance gives .11 to B
    expect(await b.bind('10.0.0.11', B, 60)).toMatchObject({ ok: true });
    await a.bind('10.0.0.12', A, 60); // A (stale: still thinks .11 is A's) moves A on
    expect((await store.list()).map((l) => [l.ip, l.mac])).toEqual([['10.0.0.11', B], ['10.0.0.12', A]]);
  });
});
