import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ImageUploadQuery, type ImageUploadProgress, type ImageUploadResult } from '../contract/images.ts';
import type { ImageCache } from '../images/cache.ts';
import { receiveUpload } from '../images/upload.ts';
import { closeAfterAnswer } from './lingering-close.ts';
import { DragonflyError, invalid } from '../shared/errors.ts';

export interface ImageUploadDeps {
  images: ImageCache;
  /** Receives 'progress' with an ImageUploadProgress; the event stream forwards it. */
  uploads: EventEmitter;
}

const BODY_TYPE = 'application/octet-stream';

/**
 * POST /api/v1/images/upload: an image file as the request body, converted as it arrives.
 * Operator-only like every /api/v1 route, and so also under the cross-site check of cookie
 * writes (auth-hook.ts); never on the boot surface (its prefixes are /boot, /images, /api/agent).
 * Registered in its own scope: the body parser that hands the raw stream on is for this route only.
 */
export async function imageUploadRoute(app: FastifyInstance, deps: ImageUploadDeps): Promise<void> {
  app.addContentTypeParser(BODY_TYPE, (_req, payload, done) => done(null, payload));
  app.post<{ Querystring: ImageUploadQuery }>(
    '/api/v1/images/upload',
    {
      schema: {
        tags: ['Images'],
        summary: 'Upload a .raw, .raw.gz, .raw.xz or .raw.zst image as cache:NAME (body: the file, application/octet-stream, with Content-Length); progress on the event stream as image-upload',
        querystring: ImageUploadQuery,
      },
    },
    async (req, reply) => {
      const declaredBytes = declaredLength(req);
      const base = { id: req.id, file: req.query.file, bytesTotal: declaredBytes };
      const progress = (p: Omit<ImageUploadProgress, keyof typeof base>) => deps.uploads.emit('progress', { ...base, ...p } satisfies ImageUploadProgress);
      let received = 0;
      try {
        const img = await receiveUpload(deps.images, {
          fileName: req.query.file,
          name: req.query.name,
          declaredBytes,
          body: (req.body as Readable | undefined) ?? req.raw,
          onProgress: (n) => progress({ state: 'receiving', bytesReceived: (received = n) }),
        });
        progress({ state: 'ready', bytesReceived: declaredBytes, name: img.key, rawSha256: img.rawSha256 });
        reply.status(201);
        return { name: img.key, url: img.url, rawBytes: img.rawBytes, rawSha256: img.rawSha256, fileBytes: img.fileBytes } satisfies ImageUploadResult;
      } catch (e) {
        progress({ state: 'failed', bytesReceived: received, error: (e as Error).message });
        // Refused with the body still coming: end the connection after the answer, or the sender would send it all first.
        if (received < declaredBytes) closeAfterAnswer(req.raw, (k, v) => void reply.header(k, v));
        throw e;
      }
    },
  );
}

/** The declared body length: required, so space and limits are checked before a byte is stored. */
function declaredLength(req: FastifyRequest): number {
  const type = req.headers['content-type']?.split(';')[0].trim().toLowerCase();
  if (type !== BODY_TYPE) throw invalid(`send the image file itself as the body, with Content-Type: ${BODY_TYPE} (got ${type ?? 'none'})`);
  const raw = req.headers['content-length'];
  if (raw === undefined || !/^\d+$/.test(raw)) {
    throw new DragonflyError('DF_ERR_INVALID', 'an upload must declare its size with Content-Length (a chunked body cannot be checked against free space first)');
  }
  return Number(raw);
}
