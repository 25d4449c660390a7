import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { jailPath, sendFile } from './file-serving.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** The built renderer: static files, with index.html for client-side routes. The files hold no data. */
export async function uiPlugin(app: FastifyInstance, deps: { uiDir?: string }): Promise<void> {
  const dir = deps.uiDir;
  const serve = async (rel: string, req: Parameters<typeof sendFile>[0], reply: Parameters<typeof sendFile>[1]) => {
    reply.header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
    if (!dir || !existsSync(join(dir, 'index.html'))) {
      reply.type('text/html; charset=utf-8');
      return reply.send('<!doctype html><title>Dragonfly</title><p>The Dragonfly UI is not built. Run <code>npm run build:renderer</code>; the API is at <code>/api/v1</code>.</p>');
    }
    let path = jailPath(dir, rel || 'index.html');
    if (!existsSync(path) || rel === '') path = join(dir, 'index.html');
    return sendFile(req, reply, path, TYPES[extname(path)] ?? 'application/octet-stream');
  };
  app.get('/', { config: { access: 'public' }, schema: { hide: true } as object }, (req, reply) => serve('', req, reply));
  app.get<{ Params: { '*': string } }>('/ui/*', { config: { access: 'public' }, schema: { hide: true } as object }, (req, reply) => serve(req.params['*'], req, reply));
  app.get<{ Params: { '*': string } }>('/assets/*', { config: { access: 'public' }, schema: { hide: true } as object }, (req, reply) => serve(`assets/${req.params['*']}`, req, reply));
}
