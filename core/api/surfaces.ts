import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { DragonflyError } from '../shared/errors.ts';

/**
 * Which routes a listener answers (issue 14, "two listeners, two audiences"):
 * - 'boot': what a booting machine needs and nothing else: boot scripts and files, cached
 *   images, the agent's API. Bound to the provisioning interface's address.
 * - 'operator': the API and UI for people; no boot routes, so exposing it on an office
 *   network does not also expose machine enrolment there.
 * - 'all': one listener for both: loopback (only this host reaches it), or an operator who
 *   asked for a wildcard address with --listen 0.0.0.0.
 */
export type Surface = 'all' | 'operator' | 'boot';

/** URL prefixes of the boot surface; /healthz answers everywhere (monitoring). */
const BOOT_PREFIXES = ['/boot/', '/images/', '/api/agent/'];
const EVERYWHERE = new Set(['/healthz']);

export function isBootSurfacePath(url: string): boolean {
  return BOOT_PREFIXES.some((p) => url.startsWith(p));
}

/** onRequest hook: a route of the other surface is a plain 404, as if it did not exist. */
export function surfaceGuard(surfaceOf: (raw: IncomingMessage) => Surface) {
  return async (req: FastifyRequest): Promise<void> => {
    const surface = surfaceOf(req.raw);
    if (surface === 'all') return;
    const path = req.url.split('?')[0];
    if (EVERYWHERE.has(path) || isBootSurfacePath(path) === (surface === 'boot')) return;
    throw new DragonflyError('DF_ERR_NOT_FOUND', `no route ${req.method} ${path}`);
  };
}
