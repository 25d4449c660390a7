import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthService, INITIAL_PASSWORD_FILE } from '../auth/auth-service.ts';
import { createHarness, type Harness } from '../testing/api-harness.ts';

// Issue 14, item 6: 200 wrong passwords went through in 19 s, and the admin password could not
// be changed. The clock is driven by the test, so nothing here waits on real time.
let h: Harness;
let now = Date.parse('2026-01-01T00:00:00Z');
beforeAll(async () => {
  h = await createHarness({ auth: { now: () => now } });
});
afterAll(async () => h.close());

const login = (password: string, from: string) =>
  h.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: from, payload: { username: 'admin', password } });

describe('login rate limit and lockout', () => {
  it('many wrong passwords from one client: 401 five times, then 429 with Retry-After, even for the right one; others unaffected; over after the window', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await login(`guess-${i}`, '10.9.9.9')).statusCode);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(new Set(statuses.slice(5))).toEqual(new Set([429]));
    const locked = await login(h.password, '10.9.9.9');
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['retry-after']).toBe('300');
    expect(locked.json()).toMatchObject({ code: 'DF_ERR_RATE_LIMITED', message: expect.stringMatching(/too many wrong passwords from 10\.9\.9\.9.*retry after 300 s/) });
    expect(locked.headers['set-cookie']).toBeUndefined();
    expect((await login(h.password, '10.9.9.10')).statusCode).toBe(200);
    now += 301_000;
    expect((await login(h.password, '10.9.9.9')).statusCode).toBe(200);
  });

  it('more than 10 attempts a minute from one client are refused, right or wrong', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await login(h.password, '10.9.9.11')).statusCode);
    expect(statuses).toEqual([...Array(10).fill(200), 429, 429]);
    now += 61_000;
    expect((await login(h.password, '10.9.9.11')).statusCode).toBe(200);
  });
});

describe('changing the admin password', () => {
  const change = (currentPassword: string, newPassword: string) =>
    h.app.inject({ method: 'POST', url: '/api/v1/auth/password', remoteAddress: '10.9.9.20', headers: h.headers, payload: { currentPassword, newPassword } });

  it('needs the current password, refuses a short one, then works, deletes initial-admin-password and the old password stops working', async () => {
    expect(existsSync(join(h.dataDir, INITIAL_PASSWORD_FILE))).toBe(true);
    const wrong = await change('not-it', 'a much better password');
    expect(wrong.statusCode).toBe(403); // not 401: the session is fine, the UI must not sign out
    expect(wrong.json().message).toBe('the current password is wrong');
    const short = await change(h.password, 'short');
    expect(short.statusCode).toBe(400);
    expect(short.json().message).toMatch(/newPassword.*12/);
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/auth/password', payload: { currentPassword: h.password, newPassword: 'x'.repeat(20) } })).statusCode).toBe(401);
    expect(existsSync(join(h.dataDir, INITIAL_PASSWORD_FILE))).toBe(true);

    expect((await change(h.password, 'a much better password')).statusCode).toBe(204);
    expect(existsSync(join(h.dataDir, INITIAL_PASSWORD_FILE))).toBe(false);
    expect((await login(h.password, '10.9.9.21')).statusCode).toBe(401);
    expect((await login('a much better password', '10.9.9.21')).statusCode).toBe(200);
    expect((await h.app.inject({ url: '/api/v1/auth/whoami', headers: h.headers })).statusCode).toBe(200);
  });

  it('a change ends every other signed-in session (also one made by the CLI on the data dir); the one that changed it stays', async () => {
    const sessionOf = async (from: string, password: string) => ({ authorization: `Bearer ${(await login(password, from)).json().token as string}` });
    const whoami = (headers: Record<string, string>) => h.app.inject({ url: '/api/v1/auth/whoami', headers });
    const current = 'a much better password';
    const changer = await sessionOf('10.9.9.30', current);
    const other = await sessionOf('10.9.9.31', current);
    expect((await whoami(other)).statusCode).toBe(200);
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/auth/password', remoteAddress: '10.9.9.30', headers: changer, payload: { currentPassword: current, newPassword: 'the third password' } });
    expect(res.statusCode, res.body).toBe(204);
    expect((await whoami(other)).statusCode).toBe(401);
    expect((await whoami(changer)).statusCode).toBe(200);
    // `dragonfly admin password --data-dir` writes auth.json from another process
    const { auth: cli } = await AuthService.open(h.dataDir, { now: () => now });
    await cli.changePassword('the third password', 'the fourth password');
    expect((await whoami(changer)).statusCode).toBe(401);
  });
});
