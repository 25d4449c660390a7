import { describe, expect, it } from 'vitest';
import { FanoutTracker } from './tracker.ts';

const all = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('FanoutTracker: slow and stalled holders', () => {
  it('a lease whose chunks the control plane finished sending does not lapse while its agent is briefly silent: no second send', () => {
    let now = 0;
    const t = new FanoutTracker({ serverLeaseMs: 1000, deliveredLeaseMs: 10_000, now: () => now });
    expect(t.sources('img', 'a', 'http://a', [], [0, 1]).plan).toEqual([{ chunks: [0, 1] }]);
    t.delivered('img', 'a', 0, 1); // the run's response finished; a gets no CPU to announce it
    now = 5000;
    expect(t.sources('img', 'b', 'http://b', [], [0, 1]).plan).toEqual([]);
    expect(t.stats('img').serverSends).toBe(2);
    t.sources('img', 'a', 'http://a', [0, 1], []); // a announces them late: b takes them from a
    expect(t.sources('img', 'b', 'http://b', [], [0, 1]).plan).toEqual([{ chunks: [0, 1], peer: { id: 'a', url: 'http://a' } }]);
    expect(t.stats('img')).toMatchObject({ serverSends: 2, resent: [] });
  });

  it('a delivered lease whose agent stays silent past deliveredLeaseMs (gone) is sent again, and the resend says why', () => {
    let now = 0;
    const t = new FanoutTracker({ serverLeaseMs: 1000, deliveredLeaseMs: 10_000, now: () => now });
    t.sources('img', 'a', 'http://a', [], [0]);
    t.delivered('img', 'a', 0, 0);
    t.delivered('img', 'b', 0, 0); // another agent's run says nothing about a's lease
    now = 10_001;
    expect(t.sources('img', 'b', 'http://b', [], [0]).plan).toEqual([{ chunks: [0] }]);
    expect(t.stats('img')).toMatchObject({ serverSends: 2, resent: [0], resends: { 'lease lapsed (lessee silent)': 1 } });
  });

  it('a chunk with one holder for too long while others wait gets a second copy from the control plane (one at a time), within budget', () => {
    let now = 0;
    const t = new FanoutTracker({ endgameAfterMs: 5000, now: () => now });
    t.describe('img', 32);
    t.sources('img', 'slow', 'http://slow', all(32), []);
    for (let i = 0; i < 4; i++) t.sources('img', `w${i}`, `http://w${i}`, all(31), []); // everyone else lacks 31
    // before endgameAfterMs: from the one holder, as any chunk
    expect(t.sources('img', 'x', 'http://x', [], [31]).plan).toEqual([{ chunks: [31], peer: { id: 'slow', url: 'http://slow' } }]);
    now = 5000;
    expect(t.sources('img', 'w0', 'http://w0', [], [31]).plan).toEqual([{ chunks: [31] }]);
    // the second copy is w0's lease; w1 waits for it (or the slow holder), the control plane sends it once more only
    expect(t.sources('img', 'w1', 'http://w1', [], [31]).plan).toEqual([{ chunks: [31], peer: { id: 'slow', url: 'http://slow' } }]);
    expect(t.stats('img')).toMatchObject({ endgameSends: 1, resends: {} });
    // w0 got it: two holders, no end-game any more
    t.sources('img', 'w0', 'http://w0', [31], []);
    expect(t.sources('img', 'w2', 'http://w2', [], [31]).plan[0].peer).toBeDefined();
  });

  it('no end-game copy beyond the budget (0.1 of the image), nor for an image whose size the tracker does not know', () => {
    let now = 0;
    const t = new FanoutTracker({ endgameAfterMs: 5000, maxServerChunks: 32, now: () => now });
    // 'first' leased every chunk once: 10 chunks, budget for one more send
    t.describe('img', 10);
    t.sources('img', 'first', 'http://first', [], all(10));
    t.sources('img', 'first', 'http://first', all(10), []);
    for (let i = 0; i < 3; i++) t.sources('img', `w${i}`, `http://w${i}`, [], [0]);
    now = 6000;
    expect(t.sources('img', 'w0', 'http://w0', [], [5]).plan).toEqual([{ chunks: [5] }]);
    expect(t.sources('img', 'w1', 'http://w1', [], [6]).plan[0].peer?.id).toBe('first');
    const u = new FanoutTracker({ endgameAfterMs: 5000, now: () => now });
    u.sources('img', 'one', 'http://one', [0], []);
    for (let i = 0; i < 3; i++) u.sources('img', `w${i}`, `http://w${i}`, [], [1]);
    now = 20_000;
    expect(u.sources('img', 'w0', 'http://w0', [], [0]).plan[0].peer?.id).toBe('one');
  });

  it('no end-game copy when only one agent wants the chunk (its holder is just its source)', () => {
    let now = 0;
    const t = new FanoutTracker({ endgameAfterMs: 5000, now: () => now });
    t.describe('img', 4);
    t.sources('img', 'h', 'http://h', all(4), []);
    t.sources('img', 'done', 'http://done', [0, 1, 2], []); // lacks 3 but wants nothing (another image's turn)
    now = 6000;
    expect(t.sources('img', 'only', 'http://only', [], [3]).plan).toEqual([{ chunks: [3], peer: { id: 'h', url: 'http://h' } }]);
    t.sources('img', 'second', 'http://second', [], [0]); // a second agent wanting: now it is the end-game
    expect(t.sources('img', 'only', 'http://only', [], [3]).plan).toEqual([{ chunks: [3] }]);
  });

  it('of two holders with the same load, the one that has proven fast serves the next chunk', () => {
    let now = 0;
    const t = new FanoutTracker({ now: () => now });
    t.sources('img', 'slow', 'http://slow', [0, 5], []);
    t.sources('img', 'fast', 'http://fast', [1, 5], []);
    t.sources('img', 'm1', 'http://m1', [], [0]); // from slow
    t.sources('img', 'm2', 'http://m2', [], [1]); // from fast
    now = 100;
    t.sources('img', 'm2', 'http://m2', [1], []); // fast served in 100 ms
    now = 1900;
    t.sources('img', 'm1', 'http://m1', [0], []); // slow in 1.9 s
    expect(t.sources('img', 'new', 'http://new', [], [5]).plan).toEqual([{ chunks: [5], peer: { id: 'fast', url: 'http://fast' } }]);
  });

  it('counts how long each chunk had a single holder', () => {
    let now = 0;
    const t = new FanoutTracker({ now: () => now });
    t.sources('img', 'a', 'http://a', [0, 1], []);
    now = 3000;
    t.sources('img', 'b', 'http://b', [0], []);
    now = 4000;
    expect(t.stats('img').singleHolderMs).toEqual({ max: 4000, median: 4000, maxChunk: 1 });
  });
});
