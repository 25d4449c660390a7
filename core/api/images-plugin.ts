import type { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { ImageCache } from '../images/cache.ts';
import type { ImageSpec } from '../images/image-spec.ts';
import { sourceFormat } from '../images/image-spec.ts';
import { openImportFile } from '../images/import-folder.ts';
import { ImageSource } from '../model/template.ts';
import { DragonflyError } from '../shared/errors.ts';
import { imageUploadRoute } from './image-upload-route.ts';
import type { ImageListItem } from '../contract/images.ts';

/** The offline image cache: what is cached, fetch one ahead of time, import a local file. */
/** `importDir`: the only folder imports read from (DATA_DIR/import); without it, import is refused. */
/** `uploads`: where upload progress goes (the event stream); without it, no upload route. */
export async function imagesPlugin(app: FastifyInstance, deps: { images: ImageCache; importDir?: string; uploads?: EventEmitter }): Promise<void> {
  const { images, uploads } = deps;
  if (uploads) await app.register(async (scope) => imageUploadRoute(scope, { images, uploads }));
  app.get('/api/v1/images', { schema: { tags: ['Images'], summary: 'Cached OS images and their status' } }, async (): Promise<{ items: ImageListItem[] }> => ({ items: images.list() }));

  app.post<{ Body: ImageSpec }>(
    '/api/v1/images/ensure',
    { schema: { tags: ['Images'], summary: 'Download and convert an image now (202; watch GET /api/v1/images)', body: ImageSource } },
    async (req, reply) => {
      images.ensure(req.body).catch(() => {}); // the status records a failure, with its reason
      reply.status(202);
      return images.status(req.body);
    },
  );

  app.post<{ Body: { name: string; path: string; format?: string; checksum?: string } }>(
    '/api/v1/images/import',
    {
      schema: {
        tags: ['Images'],
        summary: 'Import an image file from the import folder (DATA_DIR/import) as cache:NAME; path is a file name in that folder',
        body: Type.Object(
          {
            name: Type.String({ pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 100 }),
            path: Type.String({ minLength: 1, maxLength: 4096 }),
            format: Type.Optional(Type.String({ maxLength: 16 })),
            checksum: Type.Optional(Type.String({ pattern: '^(sha256|sha512):[0-9a-f]+$' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      if (!deps.importDir) throw new DragonflyError('DF_ERR_UNAVAILABLE', 'this server has no import folder; imports are turned off');
      const { handle } = await openImportFile(deps.importDir, req.body.path);
      try {
        // read through the descriptor that was checked, never the name again (docs/SECURITY.md)
        return await images.importFile(handle, { name: req.body.name, format: req.body.format ?? sourceFormat({ url: req.body.path }), checksum: req.body.checksum });
      } finally {
        await handle.close();
      }
    },
  );

  app.delete<{ Params: { key: string } }>('/api/v1/images/:key', { schema: { tags: ['Images'], summary: 'Remove a cached image' } }, async (req, reply) => {
    await images.remove(req.params.key);
    reply.status(204);
  });
}
