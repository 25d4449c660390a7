import type { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import { IMAGE_UPLOAD_EVENT, type ImageUploadProgress } from '../contract/images.ts';
import { isDragonflyError } from '../shared/errors.ts';
import type { Store, WatchEvent } from '../store/store.ts';
import type { Notification, WorkflowService } from '../workflow/workflow-service.ts';

export interface EventsDeps {
  store: Store;
  workflows: WorkflowService;
  /** Keep-alive comment interval, ms; default 15 s. */
  pingMs?: number;
  /** Emits 'progress' with an ImageUploadProgress while an image upload arrives. */
  imageUploads?: EventEmitter;
}

function sseChange(e: WatchEvent): string {
  return `id: ${e.revision}\nevent: change\ndata: ${JSON.stringify(e)}\n\n`;
}

/**
 * Server-sent events of every object change, resumable from Last-Event-ID (the store
 * revision), plus notifications (machine Ready / failed).
 */
export async function eventsPlugin(app: FastifyInstance, deps: EventsDeps): Promise<void> {
  app.get<{ Querystring: { lastEventId?: string } }>(
    '/api/v1/events',
    { schema: { tags: ['Events'], summary: 'Server-sent event stream of changes; resumes from Last-Event-ID' } },
    async (req, reply) => {
      const lastRaw = (req.headers['last-event-id'] as string | undefined) ?? req.query.lastEventId;
      const from = lastRaw !== undefined && /^\d+$/.test(lastRaw) ? Number(lastRaw) : undefined;
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(`retry: 2000\n: connected at revision ${await deps.store.revision()}\n\n`);
      let unwatch: (() => void) | undefined;
      try {
        unwatch = await deps.store.watch({ fromRevision: from }, (e) => res.write(sseChange(e)));
      } catch (e) {
        // Too old to resume: tell the client to reload everything.
        if (isDragonflyError(e, 'DF_ERR_GONE')) {
          res.write(`event: reset\ndata: ${JSON.stringify({ message: e.message })}\n\n`);
          unwatch = await deps.store.watch({}, (ev) => res.write(sseChange(ev)));
        } else {
          res.end();
          return;
        }
      }
      const onNotify = (n: Notification) => res.write(`event: notification\ndata: ${JSON.stringify(n)}\n\n`);
      deps.workflows.on('notification', onNotify);
      const onUpload = (p: ImageUploadProgress) => res.write(`event: ${IMAGE_UPLOAD_EVENT}\ndata: ${JSON.stringify(p)}\n\n`);
      deps.imageUploads?.on('progress', onUpload);
      const ping = setInterval(() => res.write(': ping\n\n'), deps.pingMs ?? 15_000);
      const stop = () => {
        clearInterval(ping);
        unwatch?.();
        deps.workflows.off('notification', onNotify);
        deps.imageUploads?.off('progress', onUpload);
      };
      req.raw.on('close', stop);
      res.on('error', stop);
    },
  );
}
