import Fastify, { type FastifyInstance } from 'fastify';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AuthService } from '../auth/auth-service.ts';
import type { HardwareIndex } from '../inventory/hardware-index.ts';
import type { Registrar } from '../inventory/registration.ts';
import type { PowerService } from '../power/service.ts';
import { DragonflyError } from '../shared/errors.ts';
import { discardLogger, type Logger } from '../shared/logger.ts';
import type { Store } from '../store/store.ts';
import type { WorkflowService } from '../workflow/workflow-service.ts';
import { agentPlugin } from './agent-plugin.ts';
import { fanoutPlugin, type FanoutDeps } from './fanout-plugin.ts';
import { imagesPlugin } from './images-plugin.ts';
import type { ImageCache } from '../images/cache.ts';
import { credentialsPlugin, type CredentialWriter, type ProxmoxImporter } from './credentials-plugin.ts';
import { operatorAuth } from './auth-hook.ts';
import { authPlugin } from './auth-plugin.ts';
import { bootPlugin, type BootDeps } from './boot-plugin.ts';
import { BootTimeline } from '../boot/timeline.ts';
import { consolePlugin } from './console-plugin.ts';
import { registerWebSockets } from './websockets.ts';
import type { ConsoleHub } from '../power/console-hub.ts';
import type { BootConsoleLogs } from '../power/boot-console-log.ts';
import { eventsPlugin } from './events-plugin.ts';
import { errorHandler, notFoundHandler } from './http-errors.ts';
import { objectsPlugin } from './objects-plugin.ts';
import { openApiDocument, routeRecorder, type RouteRecord } from './openapi.ts';
import { operationsPlugin } from './operations-plugin.ts';
import { templateSecretsPlugin, type SecretVault } from './template-secrets-plugin.ts';
import { surfaceGuard, type Surface } from './surfaces.ts';
import { systemPlugin, type SystemDeps } from './system-plugin.ts';
import { uiPlugin } from './ui-plugin.ts';
import { reportPlugin, type ReportDeps } from './report-plugin.ts';
import { inventoryPlugin } from './inventory-plugin.ts';
import { swarmPlugin, type SwarmDeps } from './swarm-plugin.ts';

export interface ApiDeps {
  store: Store;
  auth: AuthService;
  workflows: WorkflowService;
  registrar: Registrar;
  index: HardwareIndex;
  system: SystemDeps;
  boot: Omit<BootDeps, 'auth' | 'registrar' | 'logger' | 'serverUrl'>;
  serverUrl: () => string;
  power?: PowerService;
  credentials?: CredentialWriter;
  /** Values of secret template variables, encrypted at rest; without it no template can declare a usable secret. */
  templateSecrets?: SecretVault;
  importProxmox?: ProxmoxImporter;
  /** Machines' serial consoles; without it, no console route. */
  consoles?: ConsoleHub;
  /** Console output recorded during provisioning boots. */
  bootLogs?: BootConsoleLogs;
  /** The OS image cache; without it, image URLs go to machines as written. */
  images?: ImageCache;
  /** The only folder image imports read from (DATA_DIR/import); without it, imports are refused. */
  imageImportDir?: string;
  logger?: Logger;
  uiDir?: string;
  version?: string;
  /** Largest request body, bytes; default 1 MiB. */
  bodyLimit?: number;
  /** SSE keep-alive interval, ms. */
  pingMs?: number;
  /** Which routes the listener a request came in on answers; default every route (inject, one listener). */
  surfaceOf?: (raw: IncomingMessage) => Surface;
  /** The signed site report; without it, no report routes. */
  report?: Pick<ReportDeps, 'signer' | 'now'>;
  /** Rack fan-out (tracker, manifests); without it, agents download every image whole from here. */
  fanout?: Pick<FanoutDeps, 'tracker' | 'manifests' | 'enabled'>;
  /** Swarm mode (etcd, Kubernetes): join tokens through the API; without it, no swarm routes. */
  swarm?: SwarmDeps;
}

export interface Api {
  app: FastifyInstance;
  routes: RouteRecord[];
}

/**
 * Headers of a served image: its raw size, so the agent can show progress and an ETA. Only
 * what the cache calls servable is served (ImageCache.servable: never a record or a download
 * in progress), even under a name that exists.
 */
function imageHeaders(images: ImageCache, file: string): Record<string, string> {
  if (!images.servable(file)) throw new DragonflyError('DF_ERR_NOT_FOUND', `image file ${file} is not in the cache`);
  const img = images.byFile(file);
  return img ? { 'x-uncompressed-length': String(img.rawBytes) } : {};
}

/** The whole HTTP surface, without listening: tests call `app.inject()`. */
export async function buildApi(deps: ApiDeps): Promise<Api> {
  const log = deps.logger ?? discardLogger;
  const app = Fastify({
    logger: false,
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    // Unknown fields are errors, not silently dropped; types are not coerced.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true } },
    return503OnClosing: true,
    forceCloseConnections: true,
  });
  const routes: RouteRecord[] = [];
  app.addHook('onRoute', routeRecorder(routes));
  app.setErrorHandler(errorHandler(log));
  app.setNotFoundHandler(notFoundHandler);
  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain', 'text/csv'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  if (deps.consoles || deps.fanout) await registerWebSockets(app);
  if (deps.surfaceOf) app.addHook('onRequest', surfaceGuard(deps.surfaceOf)); // before auth: the other surface's routes are 404, not 401
  app.addHook('onRequest', operatorAuth(deps.auth));
  app.addHook('onResponse', async (req, reply) => {
    log.debug({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'http');
  });

  const version = deps.version ?? '0.1.0';
  // One timeline for the boot script and agent registration: both ask its enrolment gate.
  const timeline = deps.boot.timeline ?? new BootTimeline(deps.registrar);
  await app.register(async (scope) => {
    await systemPlugin(scope, deps.system);
    await authPlugin(scope, { auth: deps.auth });
    await objectsPlugin(scope, { store: deps.store });
    await operationsPlugin(scope, { store: deps.store, workflows: deps.workflows, power: deps.power, auth: deps.auth, registrar: deps.registrar });
    const imageUploads = new EventEmitter(); // upload progress, from the upload route to the event stream
    if (deps.images) await imagesPlugin(scope, { images: deps.images, importDir: deps.imageImportDir, uploads: imageUploads });
    if (deps.templateSecrets) await templateSecretsPlugin(scope, { store: deps.store, vault: deps.templateSecrets });
    if (deps.credentials) await credentialsPlugin(scope, { credentials: deps.credentials, importProxmox: deps.importProxmox });
    if (deps.consoles) await consolePlugin(scope, { consoles: deps.consoles, bootLogs: deps.bootLogs });
    await eventsPlugin(scope, { store: deps.store, workflows: deps.workflows, pingMs: deps.pingMs, imageUploads });
    await agentPlugin(scope, {
      store: deps.store,
      auth: deps.auth,
      registrar: deps.registrar,
      index: deps.index,
      workflows: deps.workflows,
      logger: log,
      serverUrl: deps.serverUrl,
      images: deps.images,
      templateSecrets: deps.templateSecrets,
      enrolment: timeline.enrolment,
    });
    if (deps.fanout && deps.boot.imageDir) {
      await fanoutPlugin(scope, {
        ...deps.fanout,
        auth: deps.auth,
        index: deps.index,
        imageDir: deps.boot.imageDir,
        servable: deps.images ? (f) => deps.images!.servable(f) : undefined,
        logger: log,
        notify: (n) => deps.workflows.emit('notification', n),
      });
    }
    await bootPlugin(scope, {
      ...deps.boot,
      timeline,
      knownMac: (mac) => deps.index.nameByMac(mac) !== undefined,
      imageHeaders: deps.images ? (file) => imageHeaders(deps.images!, file) : undefined,
      auth: deps.auth, registrar: deps.registrar, logger: log, serverUrl: deps.serverUrl });
    if (deps.credentials) await inventoryPlugin(scope, { store: deps.store, index: deps.index, credentials: deps.credentials });
    if (deps.swarm) await swarmPlugin(scope, deps.swarm);
    if (deps.report) await reportPlugin(scope, { ...deps.report, store: deps.store, version });
    await uiPlugin(scope, { uiDir: deps.uiDir });
    scope.get('/api/v1/openapi.json', { schema: { tags: ['System'], summary: 'This document' } }, async () => openApiDocument(routes, version));
  });
  return { app, routes };
}
