import { describe, expect, it } from 'vitest';
import { FanoutTracker, type FanoutEvent } from './tracker.ts';

const all = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('FanoutTracker', () => {
  it('a lone agent gets every chunk from the control plane, a bounded run at a time', () => {
    const t = new FanoutTracker({ maxServerChunks: 3 });
    const r = t.sources('img', 'a', 'http://a', [], all(10));
    expect(r.plan).toEqual([{ chunks: [0, 1, 2] }]);
    expect(r.wanting).toBe(0);
  });

  it('hands a chunk to one agent from the control plane at a time; the others wait for it and then take it from that peer', () => {
    let now = 0;
    const t = new FanoutTracker({ maxServerChunks: 2, now: () => now });
    expect(t.sources('img', 'a', 'http://a', [], [0, 1]).plan).toEqual([{ chunks: [0, 1] }]);
    const b = t.sources('img', 'b', 'http://b', [], [0, 1]);
    expect(b.plan).toEqual([]);
    expect(b.retryMs).toBeGreaterThan(0);
    t.sources('img', 'a', 'http://a', [0, 1], []);
    now += 100;
    expect(t.sources('img', 'b', 'http://b', [], [0, 1]).plan).toEqual([{ chunks: [0, 1], peer: { id: 'a', url: 'http://a' } }]);
  });

  it("counts asks by what they were, in 10 s slots from the first (where the control plane's link goes in a round)", () => {
    let now = 5000;
    const t = new FanoutTracker({ maxServerChunks: 1, now: () => now });
    t.sources('img', 'a', 'http://a', [], [0]); // plan
    t.sources('img', 'b', 'http://b', [], [0]); // empty: a has the lease
    now += 12_000;
    t.sources('img', 'a', 'http://a', [0], []); // linger
    t.sources('img', 'a', 'http://a', [], [], true); // leaving
    const s = t.stats('img');
    expect(s.calls).toEqual({ plan: 1, empty: 1, linger: 1, leaving: 1 });
    expect(s.callsPer10s).toEqual([{ plan: 1, empty: 1, linger: 0, leaving: 0 }, { plan: 0, empty: 0, linger: 1, leaving: 1 }]);
  });

  it('a control-plane lease that runs out goes to the next agent', () => {
    let now = 0;
    const t = new FanoutTracker({ serverLeaseMs: 1000, now: () => now });
    t.sources('img', 'a', 'http://a', [], [0]);
    now = 1001;
    expect(t.sources('img', 'b', 'http://b', [], [0]).plan).toEqual([{ chunks: [0] }]);
  });

  it('a lease holds as long as its agent keeps calling (a slow link), so the control plane never sends that chunk twice', () => {
    let now = 0;
    const t = new FanoutTracker({ serverLeaseMs: 1000, maxServerChunks: 2, now: () => now });
    expect(t.sources('img', 'a', 'http://a', [], [0, 1]).plan).toEqual([{ chunks: [0, 1] }]);
    for (now = 500; now <= 5000; now += 500) {
      t.sources('img', 'a', 'http://a', [], [2]); // a's other worker, still busy with 0 and 1
      expect(t.sources('img', 'b', 'http://b', [], [0, 1]).plan).toEqual([]);
    }
    now += 1001; // a went silent: its lease runs out
    expect(t.sources('img', 'b', 'http://b', [], [0, 1]).plan).toEqual([{ chunks: [0, 1] }]);
  });

  it('an agent has at most maxServerChunks from the control plane at once, so the link is not split into many slow runs', () => {
    const t = new FanoutTracker({ maxServerChunks: 3 });
    expect(t.sources('img', 'a', 'http://a', [], [0, 1, 2]).plan).toEqual([{ chunks: [0, 1, 2] }]);
    // a's second worker, while 0-2 are still coming: nothing more from the control plane
    expect(t.sources('img', 'a', 'http://a', [], [3, 4, 5]).plan).toEqual([]);
    // its run failed after 0 and it asks for 1-3: 1 and 2 are its own again, 0 is still coming, no room for 3
    expect(t.sources('img', 'a', 'http://a', [], [1, 2, 3]).plan).toEqual([{ chunks: [1, 2] }]);
    // 0 and 1 arrived, 2 is coming: room for two
    expect(t.sources('img', 'a', 'http://a', [0, 1], [4, 5, 6]).plan).toEqual([{ chunks: [4, 5] }]);
  });

  it('asks for the rarest chunks first and spreads them over the least-loaded holders', () => {
    const t = new FanoutTracker({ maxPerPeer: 1 });
    t.sources('img', 'p1', 'http://p1', [0, 1], []);
    t.sources('img', 'p2', 'http://p2', [0, 2], []);
    const r = t.sources('img', 'me', 'http://me', [], [0, 1, 2]);
    // 1 and 2 have one holder each and go first; 0 finds both holders busy within this plan
    expect(r.plan).toEqual([
      { chunks: [1], peer: { id: 'p1', url: 'http://p1' } },
      { chunks: [2], peer: { id: 'p2', url: 'http://p2' } },
    ]);
  });

  it('a reported peer is dropped for good, the report is an event, and its chunks come from the control plane again', () => {
    const t = new FanoutTracker();
    const events: FanoutEvent[] = [];
    t.events.on('event', (e: FanoutEvent) => events.push(e));
    t.sources('img', 'liar', 'http://liar', all(4), []);
    expect(t.sources('img', 'me', 'http://me', [], [0]).plan[0].peer?.id).toBe('liar');
    t.report('img', 'me', 'liar', 'corrupt', 0);
    expect(t.report('img', 'other', 'liar', 'corrupt', 1)).toBeUndefined();
    expect(events).toEqual([{ kind: 'peer-dropped', image: 'img', peer: 'liar', problem: 'corrupt', reportedBy: 'me', chunk: 0 }]);
    t.sources('img', 'liar', 'http://liar', all(4), []);
    expect(t.sources('img', 'me', 'http://me', [], [0]).plan).toEqual([{ chunks: [0] }]);
  });

  it('counts the agents still wanting chunks, so a finished one knows to keep serving', () => {
    const t = new FanoutTracker();
    t.sources('img', 'a', 'http://a', all(2), []);
    t.sources('img', 'b', 'http://b', [], [0, 1]);
    expect(t.sources('img', 'a', 'http://a', [], []).wanting).toBe(1);
    t.sources('img', 'b', 'http://b', [0, 1], [], true);
    expect(t.sources('img', 'a', 'http://a', [], []).wanting).toBe(0);
    expect(t.holders('img', 0)).toEqual(['a']);
  });

  it('a peer one agent cannot reach is avoided by that agent; three such reports drop it for everyone', () => {
    const t = new FanoutTracker();
    const events: FanoutEvent[] = [];
    t.events.on('event', (e: FanoutEvent) => events.push(e));
    t.sources('img', 'far', 'http://far', [0], []);
    expect(t.report('img', 'a', 'far', 'unreachable', 0)).toBeUndefined();
    expect(t.sources('img', 'a', 'http://a', [], [0]).plan).toEqual([{ chunks: [0] }]);
    expect(t.sources('img', 'b', 'http://b', [], [0]).plan[0].peer?.id).toBe('far');
    t.report('img', 'b', 'far', 'unreachable');
    expect(t.report('img', 'c', 'far', 'unreachable')).toMatchObject({ peer: 'far', problem: 'unreachable', reportedBy: 'c' });
    expect(events).toHaveLength(1);
    expect(t.holders('img', 0)).toEqual([]);
  });

  it('an agent with nothing to do is told to wait longer the more agents are waiting, so idle calls do not grow with the rack', () => {
    const t = new FanoutTracker({ maxServerChunks: 1 });
    t.sources('img', 'a', 'http://a', [], [0]); // a holds the lease on chunk 0; everyone else waits for it
    const hints: number[] = [];
    for (let i = 1; i <= 200; i++) hints[i] = t.sources('img', `m${i}`, `http://m${i}`, [], [0]).retryMs!;
    expect(hints[1]).toBe(250); // a small rack: as before
    expect(hints[50]).toBe(2000); // 50 others wanting: 25 idle calls a second from all of them
    expect(hints[200]).toBe(5000); // bounded: a plan is never more than 5 s away
    // 200 agents each asking once per hint: about 40 calls a second in all (at a fixed 250 ms, 800)
    expect(200 / (hints[200] / 1000)).toBeLessThanOrEqual(40);
  });

  it('a holder is free again as soon as its chunks are announced, not only when the load window has passed', () => {
    const now = 0;
    const t = new FanoutTracker({ now: () => now });
    t.sources('img', 'seed', 'http://seed', all(40), []);
    // 4 agents each take 4 chunks: the holder has 16 outstanding, as many as it is given at once
    for (let i = 0; i < 4; i++) expect(t.sources('img', `m${i}`, `http://m${i}`, [], all(40).slice(i * 4, i * 4 + 4)).plan).toHaveLength(1);
    expect(t.sources('img', 'late', 'http://late', [], [30]).plan).toEqual([]);
    // they announce what they fetched (same instant): the holder is idle, and is asked again
    for (let i = 0; i < 4; i++) t.sources('img', `m${i}`, `http://m${i}`, all(40).slice(i * 4, i * 4 + 4), []);
    expect(t.sources('img', 'late', 'http://late', [], [30]).plan).toEqual([{ chunks: [30], peer: { id: 'seed', url: 'http://seed' } }]);
  });

  it('keeps images apart', () => {
    const t = new FanoutTracker();
    t.sources('one', 'a', 'http://a', [0], []);
    expect(t.sources('two', 'b', 'http://b', [], [0]).plan).toEqual([{ chunks: [0] }]);
  });
});
