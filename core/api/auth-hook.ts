import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService, Principal } from '../auth/auth-service.ts';
import { DragonflyError } from '../shared/errors.ts';
import { refuseCrossSiteWrite } from './cross-site.ts';
import type { ConsoleBearerProtocol } from '../contract/console.ts';

export const SESSION_COOKIE = 'df_session';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifySchema {
    summary?: string;
    tags?: string[];
    hide?: boolean;
  }
  interface FastifyContextConfig {
    /** Who may call the route: 'operator' (default: admin session or API token), 'machine' (own scheme), 'public'. */
    access?: 'operator' | 'machine' | 'public';
  }
}

const WS_BEARER: ConsoleBearerProtocol = 'dragonfly.bearer.';

export function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim();
  // A WebSocket from a browser cannot send headers; the token comes as a subprotocol instead.
  const offered = req.headers['sec-websocket-protocol'];
  const proto = offered?.split(',').map((p) => p.trim()).find((p) => p.startsWith(WS_BEARER));
  return proto ? proto.slice(WS_BEARER.length) : undefined;
}

export function cookieToken(req: FastifyRequest): string | undefined {
  const raw = req.headers.cookie;
  if (!raw) return undefined;
  for (const part of raw.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === SESSION_COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** Default deny: a route is operator-only unless its config says otherwise. */
export function operatorAuth(auth: AuthService) {
  return async (req: FastifyRequest, _reply: FastifyReply) => {
    const access = req.routeOptions.config?.access ?? 'operator';
    if (access === 'public') return;
    // Machine routes check the token before the body is even parsed; the MAC binding is checked by the route.
    if (access === 'machine') {
      auth.verifyMachineToken(bearerToken(req));
      return;
    }
    const viaBearer = await auth.authenticate(bearerToken(req));
    const principal = viaBearer ?? (await auth.authenticate(cookieToken(req)));
    if (!principal) throw new DragonflyError('DF_ERR_UNAUTHORIZED', 'sign in first: send Authorization: Bearer <token> or the session cookie');
    if (!viaBearer) refuseCrossSiteWrite(req);
    req.principal = principal;
  };
}
