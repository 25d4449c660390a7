import { describe, expect, it } from 'vitest';
import { withBoundedConcurrency } from './bulk.ts';

describe('withBoundedConcurrency', () => {
  it('never runs more than the limit at once and keeps item order', async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await withBoundedConcurrency([5, 1, 4, 2, 3, 0], 2, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight--;
      return n * 10;
    });
    expect(peak).toBe(2);
    expect(results.map((r) => (r.ok ? r.value : null))).toEqual([50, 10, 40, 20, 30, 0]);
  });

  it('reports a failing item without stopping the others', async () => {
    const results = await withBoundedConcurrency(['a', 'bad', 'c'], 3, async (s) => {
      if (s === 'bad') throw new Error('boom');
      return s.toUpperCase();
    });
    expect(results[0]).toEqual({ item: 'a', ok: true, value: 'A' });
    expect(results[1].ok).toBe(false);
    expect(results[1].ok ? null : (results[1].error as Error).message).toBe('boom');
    expect(results[2]).toEqual({ item: 'c', ok: true, value: 'C' });
  });

  it('handles an empty list and a limit below 1', async () => {
    expect(await withBoundedConcurrency([], 4, async () => 1)).toEqual([]);
    const r = await withBoundedConcurrency([1, 2], 0, async (n) => n);
    expect(r.every((x) => x.ok)).toBe(true);
  });
});
