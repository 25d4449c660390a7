import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { AuthService } from '../auth/auth-service.ts';
import { SESSION_COOKIE, bearerToken, cookieToken } from './auth-hook.ts';

export async function authPlugin(app: FastifyInstance, deps: { auth: AuthService }): Promise<void> {
  const { auth } = deps;

  app.post<{ Body: { username: string; password: string } }>(
    '/api/v1/auth/login',
    {
      config: { access: 'public' },
      schema: {
        tags: ['Auth'],
        summary: 'Sign in with the admin credential; sets the session cookie',
        body: Type.Object({ username: Type.String({ maxLength: 128 }), password: Type.String({ maxLength: 1024 }) }, { additionalProperties: false }),
      },
    },
    async (req, reply) => {
      const session = await auth.login(req.body.username, req.body.password, req.ip);
      const maxAge = Math.max(0, Math.floor((Date.parse(session.expiresAt) - Date.now()) / 1000));
      reply.header('set-cookie', `${SESSION_COOKIE}=${session.token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}`);
      return session;
    },
  );

  app.post('/api/v1/auth/logout', { schema: { tags: ['Auth'], summary: 'End this session' } }, async (req, reply) => {
    const t = bearerToken(req) ?? cookieToken(req);
    if (t) await auth.logout(t);
    reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    reply.status(204);
  });

  app.post<{ Body: { currentPassword: string; newPassword: string } }>(
    '/api/v1/auth/password',
    {
      schema: {
        tags: ['Auth'],
        summary: 'Change the admin password (the current one is required); deletes initial-admin-password',
        body: Type.Object(
          { currentPassword: Type.String({ maxLength: 1024 }), newPassword: Type.String({ minLength: 12, maxLength: 1024 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      // the session that changed it stays signed in; every other one ends
      await auth.changePassword(req.body.currentPassword, req.body.newPassword, req.ip, bearerToken(req) ?? cookieToken(req));
      reply.status(204);
    },
  );

  app.get('/api/v1/auth/whoami', { schema: { tags: ['Auth'], summary: 'Who this request is signed in as' } }, async (req) => req.principal);

  app.post<{ Body: { name: string; expiresInDays?: number } }>(
    '/api/v1/tokens',
    {
      schema: {
        tags: ['Auth'],
        summary: 'Create an API token (shown once)',
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 63 }), expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      reply.status(201);
      return auth.createToken(req.body.name, req.body.expiresInDays);
    },
  );
  app.get('/api/v1/tokens', { schema: { tags: ['Auth'], summary: 'List API tokens (never their secrets)' } }, async () => ({ items: await auth.listTokens() }));
  app.delete<{ Params: { id: string } }>('/api/v1/tokens/:id', { schema: { tags: ['Auth'], summary: 'Revoke an API token' } }, async (req, reply) => {
    await auth.revokeToken(req.params.id);
    reply.status(204);
  });
}
