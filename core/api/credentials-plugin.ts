import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { DragonflyError } from '../shared/errors.ts';

/** What the API needs of the encrypted credential store: it never reads a secret back out. */
export interface CredentialWriter {
  set(ref: string, c: { username?: string; secret: string }): void | Promise<void>;
  delete(ref: string): boolean | Promise<boolean>;
  refs(): string[];
}

const Name = Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 });

export type ProxmoxImporter = (req: { url: string; credentialRef: string }) => Promise<unknown[]>;

export async function credentialsPlugin(app: FastifyInstance, deps: { credentials: CredentialWriter; importProxmox?: ProxmoxImporter }): Promise<void> {
  const importer = deps.importProxmox;
  if (importer) {
    app.post<{ Body: { url: string; credentialRef: string } }>(
      '/api/v1/proxmox/import',
      {
        schema: {
          tags: ['Power'],
          summary: 'Discover Proxmox VE VMs and register them as machines (power through the Proxmox API)',
          body: Type.Object({ url: Type.String({ pattern: '^https?://' }), credentialRef: Name }, { additionalProperties: false }),
        },
      },
      async (req) => ({ results: await importer(req.body) }),
    );
  }

  app.post<{ Body: { name: string; username?: string; secret: string } }>(
    '/api/v1/credentials',
    {
      schema: {
        tags: ['Power'],
        summary: 'Store a BMC or Proxmox credential (encrypted at rest; never returned)',
        body: Type.Object(
          { name: Name, username: Type.Optional(Type.String({ maxLength: 256 })), secret: Type.String({ minLength: 1, maxLength: 4096 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      await deps.credentials.set(req.body.name, { username: req.body.username, secret: req.body.secret });
      reply.status(201);
      return { name: req.body.name };
    },
  );
  app.get('/api/v1/credentials', { schema: { tags: ['Power'], summary: 'Names of stored credentials' } }, async () => ({
    items: deps.credentials.refs().map((name) => ({ name })),
  }));
  app.delete<{ Params: { name: string } }>('/api/v1/credentials/:name', { schema: { tags: ['Power'], summary: 'Delete a credential' } }, async (req, reply) => {
    if (!(await deps.credentials.delete(req.params.name))) throw new DragonflyError('DF_ERR_NOT_FOUND', `credential "${req.params.name}" not found`);
    reply.status(204);
  });
}
