import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService } from '../auth/auth-service.ts';
import { Compile } from 'typebox/compile';
import type { WebSocket } from 'ws';
import { TrackerAsk, type PeerReport, type TrackerAnswer } from '../contract/fanout.ts';
import type { FanoutEvent, FanoutTracker } from '../fanout/tracker.ts';
import { rawChunks, type ManifestStore } from '../images/manifest.ts';
import type { HardwareIndex } from '../inventory/hardware-index.ts';
import { DragonflyError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { Notification } from '../workflow/workflow-service.ts';
import { bearerToken } from './auth-hook.ts';
import { toDragonflyError } from './http-errors.ts';

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
 * the control plane's raw chunks (seed of last resort), and the tracker's channel (a WebSocket).
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
    async (req, reply) => {
      agent(req);
      const m = await manifestOf(req.params.file);
      deps.tracker.describe(m.image, m.sha256.length); // the end-game's budget is a share of the image
      reply.header('vary', 'accept-encoding');
      if (!acceptsGzip(req.headers['accept-encoding'])) return m;
      // Every agent of a rack fetches it over the laptop's link: hex digests gzip to about half.
      return reply.header('content-type', 'application/json; charset=utf-8').header('content-encoding', 'gzip').send(gzipSync(JSON.stringify(m)));
    },
  );

  app.get<{ Params: { file: string; range: string } }>(
    `${PREFIX}/images/:file/chunks/:range`,
    { ...machine, schema: { tags: ['Agent'], summary: 'Raw bytes of chunks FROM-TO (inclusive) of an image' } },
    async (req, reply) => sendChunks(req, reply, agent(req), await manifestOf(req.params.file), servedFile(req.params.file), deps),
  );

  app.get(
    `${PREFIX}/tracker`,
    {
      ...machine,
      websocket: true,
      preValidation: async (req) => void agent(req), // fan-out off, or not an agent token: refused before the upgrade
      schema: { tags: ['Agent'], summary: 'The tracker (WebSocket): announce held chunks and get whom to fetch the wanted ones from; report a peer that lied or vanished' },
    },
    (ws, req) => serveTracker(ws, () => agent(req), peerUrlOf(req), deps),
  );
}

const checkAsk = Compile(TrackerAsk);

/**
 * One agent's tracker channel. Each ask is answered at once, in order, with its id; a frame that
 * is not an ask is answered with an error naming the problem and the channel stays open (an agent
 * bug must not cost the rack its tracker). Every ask is checked as an HTTP request was (fan-out
 * still on, the agent token still valid): a token no longer valid ends the channel. Closing the
 * channel is not leaving: an agent that lost it reconnects and its chunks are still counted (it
 * says `leaving` when its disk is about to change).
 */
function serveTracker(ws: WebSocket, agent: () => string, peerUrl: (port: number) => string, deps: FanoutDeps): void {
  const answer = (a: TrackerAnswer) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(a));
  ws.on('message', (data: Buffer, binary: boolean) => {
    let ask: unknown;
    try {
      if (binary) throw new Error('a binary frame');
      ask = JSON.parse(String(data));
    } catch (err) {
      return answer({ id: -1, error: { code: 'DF_ERR_INVALID', message: `tracker ask is not JSON text (${(err as Error).message})` } });
    }
    const id = idOf(ask);
    if (!checkAsk.Check(ask)) {
      const why = [...checkAsk.Errors(ask)].slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
      return answer({ id, error: { code: 'DF_ERR_INVALID', message: `tracker ask is not {id, sources} or {id, report}: ${why}` } });
    }
    let name = '';
    try {
      name = agent();
      if ('sources' in ask) {
        const b = ask.sources;
        return answer({ id, sources: deps.tracker.sources(b.image, name, peerUrl(b.peerPort), b.have, b.want, b.leaving ?? false) });
      }
      answer({ id, report: reportPeer(name, ask.report, deps) });
    } catch (err) {
      const e = toDragonflyError(err);
      if (e.status >= 500) deps.logger.error({ err, machine: name }, 'fan-out: tracker ask failed');
      answer({ id, error: { code: e.code, message: e.message } });
      if (e.code === 'DF_ERR_UNAUTHORIZED') ws.close(1008, 'agent token no longer valid');
    }
  });
  ws.on('error', (err) => deps.logger.debug({ err }, 'fan-out: tracker channel error'));
}

/** The id of an ask, or -1 when it has none that can be answered. */
function idOf(v: unknown): number {
  const id = (v as { id?: unknown } | null)?.id;
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : -1;
}

function reportPeer(name: string, r: PeerReport, deps: FanoutDeps): { dropped: string } {
  const ev = deps.tracker.report(r.image, name, r.peer, r.problem, r.chunk);
  if (!ev) return { dropped: r.peer };
  deps.logger.warn(ev, `fan-out: ${name} reports peer ${ev.peer} ${ev.problem}; dropped`);
  deps.notify?.({ level: 'error', title: `${ev.peer} dropped from the image swarm`, body: droppedText(ev), machine: ev.peer });
  return { dropped: ev.peer };
}

/** Whether an Accept-Encoding header takes gzip: named, or else `*`, with a q above 0 (RFC 9110, 12.5.3). */
export function acceptsGzip(header: string | undefined): boolean {
  const q = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [coding, ...params] = part.split(';').map((x) => x.trim().toLowerCase());
    const weight = params.find((p) => p.startsWith('q='));
    if (coding) q.set(coding, weight ? Number(weight.slice(2)) : 1);
  }
  const w = q.get('gzip') ?? q.get('*');
  return w !== undefined && w > 0;
}

function droppedText(ev: FanoutEvent): string {
  const what = ev.problem === 'corrupt' ? `served a chunk${ev.chunk !== undefined ? ` (${ev.chunk})` : ''} that does not match the manifest` : 'could not be reached';
  return `${ev.peer} ${what} to ${ev.reportedBy} while imaging ${ev.image}; no agent fetches from it again`;
}

/** The agent's chunk server, at the address its channel came from (what other agents on the segment reach). */
function peerUrlOf(req: FastifyRequest): (port: number) => string {
  const host = req.ip.startsWith('::ffff:') ? req.ip.slice(7) : req.ip;
  return (port) => (host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`);
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
