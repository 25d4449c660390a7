/**
 * A machine's serial console over a WebSocket: GET /api/v1/machines/{name}/console upgrades;
 * binary frames are the console's bytes both ways, text frames the JSON messages of
 * core/contract/console.ts. Auth is the API's (bearer token or session cookie, checked
 * by the onRequest hook before the upgrade); a cookie-authenticated upgrade must come from
 * this server's own origin, or any web page could drive the console with the user's cookie.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { ConsoleClientMessage, ConsoleHolderInfo, ConsoleServerMessage } from '../contract/console.ts';
import { describeHolder } from '../power/console.ts';
import type { ConsoleHub, HubEnd } from '../power/console-hub.ts';
import type { BootConsoleLogs } from '../power/boot-console-log.ts';
import { DragonflyError } from '../shared/errors.ts';
import { bearerToken } from './auth-hook.ts';
import { toDragonflyError } from './http-errors.ts';
import { consoleHoldingRoutes } from './console-holding.ts';

export interface ConsoleDeps {
  consoles: ConsoleHub;
  /** Recorded boot consoles; without it, no console-log routes. */
  bootLogs?: BootConsoleLogs;
}

function checkOrigin(req: FastifyRequest): void {
  if (bearerToken(req)) return; // a token is not sent by browsers on their own
  const origin = req.headers.origin;
  if (!origin) return; // not a browser (CLI with a cookie file): no cross-site risk
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw new DragonflyError('DF_ERR_FORBIDDEN', `console: Origin "${origin}" is not a URL`);
  }
  if (host !== req.headers.host) throw new DragonflyError('DF_ERR_FORBIDDEN', `console: Origin ${origin} is not this server; open the console from the Dragonfly UI`);
}

const send = (ws: WebSocket, m: ConsoleServerMessage) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(m));

function endMessage(end: HubEnd): ConsoleServerMessage {
  if (end.reason === 'released') return { type: 'ended', reason: 'released', message: `${end.by} released the console for another client (ipmitool, the BMC's own console)` };
  if (end.reason === 'taken') return { type: 'ended', reason: 'taken', message: `the console was taken by ${describeHolder(end.holder)}`, holder: end.holder };
  if (end.reason === 'closed') return { type: 'ended', reason: 'closed', message: 'console closed' };
  return { type: 'ended', reason: end.reason, message: end.message };
}

export async function consolePlugin(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  app.get<{ Params: { name: string }; Querystring: { takeOver?: string } }>(
    '/api/v1/machines/:name/console',
    {
      websocket: true,
      preValidation: async (req) => checkOrigin(req),
      schema: { tags: ['Console'], summary: 'Serial console of a machine (WebSocket; ?takeOver=1 ends another client\'s console first)' },
    },
    (ws, req) => void serveConsole(ws, req.params.name, req.query.takeOver === '1', deps.consoles),
  );
  await consoleHoldingRoutes(app, deps);
  const logs = deps.bootLogs;
  if (!logs) return;
  app.get<{ Params: { name: string } }>(
    '/api/v1/machines/:name/console-logs',
    { schema: { tags: ['Console'], summary: 'Recorded console output of recent provisioning boots, newest first' } },
    async (req) => ({ items: logs.list(req.params.name) }),
  );
  app.get<{ Params: { name: string; boot: string } }>(
    '/api/v1/machines/:name/console-logs/:boot',
    { schema: { tags: ['Console'], summary: 'The console output recorded during one boot (text)' } },
    async (req, reply) => reply.type('text/plain; charset=iso-8859-1').send(logs.read(req.params.name, req.params.boot)),
  );
}

async function serveConsole(ws: WebSocket, machine: string, takeOver: boolean, hub: ConsoleHub): Promise<void> {
  const early: Buffer[] = [];
  ws.on('message', (d: Buffer, binary: boolean) => (binary ? early.push(d) : undefined));
  let attachment;
  try {
    attachment = await hub.attach(machine, {
      onData: (bytes) => ws.readyState === ws.OPEN && ws.send(bytes, { binary: true }),
      onEnd: (end) => {
        send(ws, endMessage(end));
        ws.close(1000);
      },
    }, { takeOver });
  } catch (e) {
    const err = toDragonflyError(e);
    const holder = (err.details as { holder?: ConsoleHolderInfo } | undefined)?.holder;
    send(ws, { type: 'error', code: err.code, message: err.message, ...(holder ? { holder } : {}) });
    ws.close(1000);
    return;
  }
  const a = attachment;
  ws.removeAllListeners('message');
  ws.on('message', (d: Buffer, binary: boolean) => (binary ? a.write(new Uint8Array(d)) : control(String(d), a.sendBreak)));
  ws.on('close', () => void a.detach());
  send(ws, { type: 'attached', machine });
  for (const d of early) a.write(new Uint8Array(d));
  if (ws.readyState !== ws.OPEN) await a.detach();
}

function control(text: string, sendBreak: () => void): void {
  let m: ConsoleClientMessage | undefined;
  try {
    m = JSON.parse(text) as ConsoleClientMessage;
  } catch {
    return; // not JSON: ignored, the console stays up
  }
  if (m?.type === 'break') sendBreak();
}
