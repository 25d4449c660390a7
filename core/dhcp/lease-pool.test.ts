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
