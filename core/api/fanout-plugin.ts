import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService } from '../auth/auth-service.ts';
import { PeerReport, SourcesRequest } from '../contract/fanout.ts';
import type { FanoutEvent, FanoutTracker } from '../fanout/tracker.ts';
import { rawChunks, type ManifestStore } from '../images/manifest.ts';
import type { HardwareIndex } from '../inventory/hardware-index.ts';
import { DragonflyError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { Notification } from '../workflow/workflow-service.ts';
import { bearerToken } from './auth-hook.ts';

export interface FanoutDeps {
  auth: AuthService;
  index: HardwareIndex;
  tracker: FanoutTracker;
  manifests: ManifestStore;
  /** The folder /images serves (boot.imageDir). */
  imageDir: string;
  /** Whether a file may go to machines (ImageCache.servable); default: any plain name in imageDir. */
  servable?: (file: string) => boolean;
  /** The network setting `fanout`: off makes every fan-out route refuse, and agents download as before. */
  enabled: () => boolean;
  logger: Logger;
  /** The event stream's notifications: a dropped peer is something the operator sees. */
  notify?: (n: Notification) => void;
}

const machine = { config: { access: 'machine' as const } };
const PREFIX = '/api/agent/v1/fanout';

/**
 * Fan-out on the authenticated agent channel (docs/FANOUT.md): the chunk manifest of an image,
 * the control plane's raw chunks (seed of last resort), and the tracker.
 */
export async function fanoutPlugin(app: FastifyInstance, deps: FanoutDeps): Promise<void> {
  /** The machine behind the agent token (its name on the tracker and in events). */
  const agent = (req: FastifyRequest): string => {
    if (!deps.enabled()) throw new DragonflyError('DF_ERR_CONFLICT', 'fan-out is off in the network settings; download the image as usual');
    const mac = deps.auth.verifyMachineToken(bearerToken(req), ['dfa2']);
    return deps.index.nameByMac(mac) ?? mac;
  };
  const servedFile = (file: string): string => {
    const plain = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(file);
    if (!plain || !(deps.servable ?? (() => true))(file)) throw new DragonflyError('DF_ERR_NOT_FOUND', `image file ${file} is not in the cache`);
    return join(deps.imageDir, file);
  };
  const manifestOf = (file: string) =>
    deps.manifests.get(servedFile(file), file).catch((err: Error & { code?: string }) => {
      if (err.code === 'ENOENT') throw new DragonflyError('DF_ERR_NOT_FOUND', `image file ${file} is not in the cache`);
      throw err;
    });

  app.get<{ Params: { file: string } }>(
    `${PREFIX}/images/:file/manifest`,
    { ...machine, schema: { tags: ['Agent'], summary: 'Chunk digests of an image (computed once, kept beside it)' } },
    async (req) => {
      agent(req);
      const m = await manifestOf(req.params.file);
      deps.tracker.describe(m.image, m.sha256.length); // the end-game's budget is a share of the image
      return m;
    },
  );

  app.get<{ Params: { file: string; range: string } }>(
    `${PREFIX}/images/:file/chunks/:range`,
    { ...machine, schema: { tags: ['Agent'], summary: 'Raw bytes of chunks FROM-TO (inclusive) of an image' } },
    async (req, reply) => sendChunks(req, reply, agent(req), await manifestOf(req.params.file), servedFile(req.params.file), deps),
  );

  app.post<{ Body: SourcesRequest }>(
    `${PREFIX}/sources`,
    { ...machine, schema: { tags: ['Agent'], summary: 'Announce held chunks; get whom to fetch the wanted ones from', body: SourcesRequest } },
    async (req) => {
      const name = agent(req);
      const b = req.body;
      return deps.tracker.sources(b.image, name, peerUrl(req.ip, b.peerPort), b.have, b.want, b.leaving ?? false);
    },
  );

  app.post<{ Body: PeerReport }>(
    `${PREFIX}/report`,
    { ...machine, schema: { tags: ['Agent'], summary: 'A peer served a wrong chunk or vanished: drop it', body: PeerReport } },
    async (req) => {
      const name = agent(req);
      const ev = deps.tracker.report(req.body.image, name, req.body.peer, req.body.problem, req.body.chunk);
      if (!ev) return { dropped: req.body.peer };
      deps.logger.warn(ev, `fan-out: ${name} reports peer ${ev.peer} ${ev.problem}; dropped`);
      deps.notify?.({ level: 'error', title: `${ev.peer} dropped from the image swarm`, body: droppedText(ev), machine: ev.peer });
      return { dropped: ev.peer };
    },
  );
}

function droppedText(ev: FanoutEvent): string {
  const what = ev.problem === 'corrupt' ? `served a chunk${ev.chunk !== undefined ? ` (${ev.chunk})` : ''} that does not match the manifest` : 'could not be reached';
  return `${ev.peer} ${what} to ${ev.reportedBy} while imaging ${ev.image}; no agent fetches from it again`;
}

/** The peer's chunk server, at the address its request came from (what other agents on the segment reach). */
function peerUrl(ip: string, port: number): string {
  const host = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

async function sendChunks(req: FastifyRequest<{ Params: { range: string } }>, reply: FastifyReply, name: string, m: Awaited<ReturnType<ManifestStore['get']>>, file: string, deps: FanoutDeps) {
  const log = deps.logger;
  const r = /^(\d+)-(\d+)$/.exec(req.params.range);
  if (!r) throw new DragonflyError('DF_ERR_INVALID', `chunk range "${req.params.range}" is not FROM-TO`);
  const [from, to] = [Number(r[1]), Number(r[2])];
  const body = rawChunks(file, m, from, to);
  const first = await body.next(); // a bad range is a 400 before the 200 goes out
  const length = Math.min(m.rawBytes, (to + 1) * m.chunkBytes) - from * m.chunkBytes;
  log.debug({ machine: name, image: m.image, from, to }, 'fan-out: chunks from the control plane');
  reply.header('content-type', 'application/octet-stream').header('content-length', String(length));
  // Every byte handed over: the tracker keeps these chunks leased to this agent while it is briefly silent.
  reply.raw.once('finish', () => deps.tracker.delivered(m.image, name, from, to));
  async function* all() {
    if (!first.done) yield first.value;
    yield* body;
  }
  return reply.send(Readable.from(all()));
}
