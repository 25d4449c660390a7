import { describe, expect, it } from 'vitest';
import { isDragonflyError } from '../shared/errors.ts';
import { LoginGuard } from './login-guard.ts';

function refusal(f: () => void): { message: string; retry: number } | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (!isDragonflyError(e, 'DF_ERR_RATE_LIMITED')) throw e;
    return { message: e.message, retry: (e.details as { retryAfterSeconds: number }).retryAfterSeconds };
  }
}

describe('LoginGuard', () => {
  it('locks a client out after 5 wrong passwords for the lockout window; other clients go on', () => {
    let now = 1_000_000;
    const g = new LoginGuard({ now: () => now, attemptsPerMinute: 0 });
    for (let i = 0; i < 5; i++) {
      expect(refusal(() => g.admit('10.0.0.9'))).toBeUndefined();
      g.failed('10.0.0.9');
    }
    const r = refusal(() => g.admit('10.0.0.9'));
    expect(r?.message).toMatch(/too many wrong passwords from 10\.0\.0\.9/);
    expect(r?.retry).toBe(300);
    expect(refusal(() => g.admit('10.0.0.10'))).toBeUndefined();
    now += 299_000;
    expect(refusal(() => g.admit('10.0.0.9'))?.retry).toBe(1);
    now += 1_000;
    expect(refusal(() => g.admit('10.0.0.9'))).toBeUndefined();
  });

  it('wrong passwords older than the window do not count; a right one clears the count', () => {
    let now = 0;
    const g = new LoginGuard({ now: () => now, attemptsPerMinute: 0, failureWindowSeconds: 60 });
    for (let i = 0; i < 4; i++) g.failed('a');
    now += 61_000;
    g.failed('a');
    expect(refusal(() => g.admit('a'))).toBeUndefined();
    for (let i = 0; i < 3; i++) g.failed('a');
    g.succeeded('a');
    g.failed('a');
    expect(refusal(() => g.admit('a'))).toBeUndefined();
  });

  it('caps attempts per minute, right or wrong', () => {
    let now = 0;
    const g = new LoginGuard({ now: () => now, attemptsPerMinute: 3 });
    for (let i = 0; i < 3; i++) g.admit('c');
    const r = refusal(() => g.admit('c'));
    expect(r?.message).toMatch(/at most 3 a minute/);
    expect(r?.retry).toBe(60);
    now += 60_001;
    expect(refusal(() => g.admit('c'))).toBeUndefined();
  });

  it('remembers a bounded number of clients, keeping the locked-out ones', () => {
    const g = new LoginGuard({ now: () => 0, maxFailures: 2, maxClients: 3, attemptsPerMinute: 0 });
    g.failed('locked');
    g.failed('locked');
    for (let i = 0; i < 100; i++) g.failed(`other-${i}`); // one wrong password each: forgettable
    expect(refusal(() => g.admit('locked'))).toBeDefined();
    g.failed('other-0'); // forgotten long ago: this is its first wrong password again
    expect(refusal(() => g.admit('other-0'))).toBeUndefined();
  });
});
