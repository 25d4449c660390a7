import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHarness, type Harness } from '../testing/api-harness.ts';
import { AuthService, INITIAL_PASSWORD_FILE, AUTH_FILE } from '../auth/auth-service.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

const concrete = (url: string) => url.replace(/:([A-Za-z_]+)/g, 'x').replace('*', 'x');

describe('default deny', () => {
  it('every operator route refuses an unauthenticated call, and every machine route refuses a call without a machine token', async () => {
    const checked: string[] = [];
    for (const r of h.routes) {
      if (r.access === 'public') continue;
      const res = await h.app.inject({ method: r.method as 'GET', url: concrete(r.url), payload: r.method === 'GET' || r.method === 'DELETE' || r.method === 'HEAD' ? undefined : {} });
      expect(res.statusCode, `${r.method} ${r.url} answered ${res.statusCode} without credentials`).toBe(401);
      checked.push(`${r.method} ${r.url}`);
    }
    expect(checked.length).toBeGreaterThan(25);
  });

  it('only /healthz, login, the UI shell and the machine boot path are public', () => {
    const pub = h.routes.filter((r) => r.access === 'public').map((r) => r.url);
    for (const u of pub) expect(u).toMatch(/^(\/healthz|\/api\/v1\/auth\/login|\/|\/ui\/\*|\/assets\/\*|\/boot\/.*|\/images\/\*)$/);
  });

  it('a forged or garbage bearer token is refused', async () => {
    for (const t of ['dfs_nope', 'dfk_000000000000abc', 'hello', '']) {
      const res = await h.app.inject({ url: '/api/v1/hardware', headers: { authorization: `Bearer ${t}` } });
      expect(res.statusCode).toBe(401);
    }
  });
});

describe('login, sessions and API tokens', () => {
  it('wrong password is 401 with a message; the right one sets an HttpOnly cookie that works', async () => {
    const bad = await h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: 'wrong' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().message).toMatch(/wrong user name or password/);
    const ok = await h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: h.password } });
    expect(ok.statusCode).toBe(200);
    const cookie = String(ok.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const who = await h.app.inject({ url: '/api/v1/auth/whoami', headers: { cookie: cookie.split(';')[0] } });
    expect(who.json()).toEqual({ user: 'admin', via: 'session' });
  });

  it('logout ends the session', async () => {
    const { token } = await h.auth.login('admin', h.password);
    const hdr = { authorization: `Bearer ${token}` };
    expect((await h.app.inject({ url: '/api/v1/auth/whoami', headers: hdr })).statusCode).toBe(200);
    await h.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: hdr });
    expect((await h.app.inject({ url: '/api/v1/auth/whoami', headers: hdr })).statusCode).toBe(401);
  });

  it('API tokens are shown once, stored hashed, listed without secrets, and revocable', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: h.headers, payload: { name: 'ci', expiresInDays: 7 } });
    expect(res.statusCode).toBe(201);
    const { token, id } = res.json();
    expect(readFileSync(join(h.dataDir, AUTH_FILE), 'utf8')).not.toContain(token);
    const hdr = { authorization: `Bearer ${token}` };
    expect((await h.app.inject({ url: '/api/v1/hardware', headers: hdr })).statusCode).toBe(200);
    const list = await h.app.inject({ url: '/api/v1/tokens', headers: h.headers });
    expect(JSON.stringify(list.json())).not.toContain(token);
    expect(list.json().items.find((t: { id: string }) => t.id === id).name).toBe('ci');
    expect((await h.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers: h.headers })).statusCode).toBe(204);
    expect((await h.app.inject({ url: '/api/v1/hardware', headers: hdr })).statusCode).toBe(401);
  });

  it('an expired API token is refused', async () => {
    let now = Date.now();
    const { auth } = await AuthService.open(h.dataDir, { now: () => now });
    const { token } = await auth.createToken('short', 1);
    expect(await auth.authenticate(token)).toBeDefined();
    now += 2 * 86400_000;
    expect(await auth.authenticate(token)).toBeUndefined();
  });

  it('credential files are readable only by the user', () => {
    expect(statSync(join(h.dataDir, AUTH_FILE)).mode & 0o077).toBe(0);
    expect(statSync(join(h.dataDir, INITIAL_PASSWORD_FILE)).mode & 0o077).toBe(0);
  });
});
