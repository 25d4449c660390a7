import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelayMs, defaultBackoff } from './backoff.ts';

const mid = () => 0.5; // no jitter: 2 * 0.5 - 1 = 0

describe('backoff', () => {
  it('starts at 1 s and doubles up to 30 s', () => {
    const b = new Backoff(mid);
    expect(Array.from({ length: 8 }, () => b.next())).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('starts over after a success', () => {
    const b = new Backoff(mid);
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(1000);
  });

  it('spreads retries by up to 20 % either way', () => {
    expect(backoffDelayMs(2, () => 0)).toBe(3200);
    expect(backoffDelayMs(2, () => 0.999999)).toBe(4800);
  });

  it('never waits less than 0 or more than 30 s, whatever the attempt and jitter', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const d = backoffDelayMs(attempt, () => r);
        return d >= 0 && d <= defaultBackoff.maxMs;
      }),
    );
  });
});
