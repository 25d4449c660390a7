/** Test support for swarm mode: operator calls through one instance, and how long until one refuses a token. */
import { expect } from 'vitest';
import type { ControlPlane } from '../app/control-plane.ts';
import { untilTrue } from './swarm-images.ts';

/** An operator API call through `cp`, in-process. */
export const call = (cp: ControlPlane, method: 'GET' | 'POST' | 'DELETE', url: string, token: string, payload?: object) =>
  cp.api.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, payload });

/** The status `cp` answers to `token`: 200 while it is good, 401 once revoked or ended. */
export const whoami = async (cp: ControlPlane, token: string) => (await call(cp, 'GET', '/api/v1/auth/whoami', token)).statusCode;

/** ms from t0 until `cp` answers 401 to `token` (polling; fails after 10 s). */
export async function untilRefused(cp: ControlPlane, token: string, t0: number): Promise<number> {
  await untilTrue(async () => (await whoami(cp, token)) === 401, 10_000);
  return Date.now() - t0;
}

/**
 * An API token made on `a` works on `a`, `b` and `c`; revoked through `b`, it is refused by all.
 * Returns, per instance, the ms from the revocation until it refused the token.
 */
export async function revokeEverywhere(a: ControlPlane, b: ControlPlane, c: ControlPlane): Promise<number[]> {
  const made = await call(a, 'POST', '/api/v1/tokens', a.adminSession().token, { name: 'ci' });
  expect(made.statusCode).toBe(201);
  const { id, token } = made.json() as { id: string; token: string };
  expect([await whoami(a, token), await whoami(b, token), await whoami(c, token)]).toEqual([200, 200, 200]);
  const t0 = Date.now();
  expect((await call(b, 'DELETE', `/api/v1/tokens/${id}`, token)).statusCode).toBe(204);
  return Promise.all([a, b, c].map((cp) => untilRefused(cp, token, t0)));
}
