import type { FastifyRequest } from 'fastify';
import { DragonflyError } from '../shared/errors.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Content types a page on another site can send without a CORS preflight (the Fetch standard's
 * "CORS-safelisted request header" rule). A cookie-authenticated write must never arrive as one.
 */
const SIMPLE_CONTENT_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']);

/**
 * Refuses a write that rides on the session cookie but was not sent by a page of this server
 * (cross-site request forgery, issue 14). The browser sets Origin on every cross-origin write
 * and on same-origin fetch writes; Referer is the fallback for older ones. Either must name the
 * host the request was sent to. Bearer-token requests never come here: a page on another site
 * cannot make the browser add that header.
 */
export function refuseCrossSiteWrite(req: FastifyRequest): void {
  if (SAFE_METHODS.has(req.method)) return;
  const host = req.headers.host?.toLowerCase();
  const claimed = headerValue(req.headers.origin) ?? headerValue(req.headers.referer);
  if (!claimed) throw new DragonflyError('DF_ERR_FORBIDDEN', 'a write with the session cookie must carry Origin or Referer (browsers send it); scripts should use an API token');
  const from = hostOf(claimed);
  if (!host || from !== host) {
    throw new DragonflyError('DF_ERR_FORBIDDEN', `cross-site write refused: the request came from ${claimed === 'null' ? 'an opaque origin' : claimed}, not from this server (${host ?? 'no Host header'})`);
  }
  const type = req.headers['content-type']?.split(';')[0].trim().toLowerCase();
  if (type && SIMPLE_CONTENT_TYPES.has(type)) {
    throw new DragonflyError('DF_ERR_FORBIDDEN', `a write with the session cookie may not be sent as ${type}: use application/json or application/yaml`);
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v || undefined;
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
}
