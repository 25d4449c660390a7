import http from 'node:http';
import https from 'node:https';

/** An HTTP response as image2disk needs it: status, lower-case headers, the body as a byte stream. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: AsyncIterable<Uint8Array>;
  /** Stops the transfer (closes the connection). */
  abort(): void;
}

export type HttpGet = (url: string, headers: Record<string, string>) => Promise<HttpResponse>;

/** Seconds without a byte before a transfer counts as dropped (a stalled TCP connection never errors by itself). */
export const IDLE_TIMEOUT_MS = 30_000;

/**
 * GET with node:http(s) rather than fetch: on loopback it moves about 1.6x the bytes per second
 * (no web-stream layer), which matters for multi-gigabyte images. A connection that closes
 * before Content-Length makes the body iterator throw, so a short transfer is never taken as complete.
 */
export function nodeHttpGet(idleMs = IDLE_TIMEOUT_MS): HttpGet {
  return (url, headers) =>
    new Promise((resolve, reject) => {
      const u = new URL(url);
      const mod = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : undefined;
      if (!mod) return reject(new Error(`unsupported URL scheme ${u.protocol} in ${url} (http or https)`));
      const req = mod.get(u, { headers: { 'accept-encoding': 'identity', ...headers } }, (res) => {
        const h: Record<string, string | undefined> = {};
        for (const [k, v] of Object.entries(res.headers)) h[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode ?? 0, headers: h, body: res, abort: () => req.destroy() });
      });
      req.setTimeout(idleMs, () => req.destroy(new Error(`no data for ${idleMs / 1000} s`)));
      req.on('error', reject);
    });
}
