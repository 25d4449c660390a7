/**
 * The privileged side: serves one app connection. It binds only UDP 67, 69 and 4011, each
 * tied to the interface the app names (SO_BINDTOIFINDEX, as the unprivileged servers would),
 * and, for the existing-DHCP probe only, UDP 68 (one at a time, sending only to port 67,
 * closed after PROBE_LIFETIME_MS at the latest),
 * relays datagrams between those sockets and the app, and closes them all when the app hangs
 * up. Anything else is refused with a `failed` frame; a stream out of step ends the connection.
 */
import type { Readable, Writable } from 'node:stream';
import { nodeSocketFactory, type DatagramSocket, type SocketFactory } from '../dhcp/sockets.ts';
import { isDragonflyError } from '../shared/errors.ts';
import { encodeFrame, FrameSplitter, isProtocolError, PRIVILEGED_PORTS, PROBE_PORT, type FailReason, type HelperMessage } from './protocol.ts';

export interface HelperOptions {
  /** Interfaces the app may ask for, from the helper's own command line; empty: any interface. */
  interfaces: readonly string[];
  /** Default: node:dgram on 0.0.0.0 tied to the interface. Tests pass a loopback factory. */
  socketFactory?: SocketFactory;
  /** One line per decision (open, refusal, hang-up); default: nothing. */
  log?: (line: string) => void;
  /** How long a probe's UDP 68 may stay open; default PROBE_LIFETIME_MS. */
  probeLifetimeMs?: number;
}

/** Sockets one app may hold at once: three ports on a few interfaces. */
const MAX_SOCKETS = 24;
/** A probe listens a few seconds (core/dhcp/probe.ts); its UDP 68 is closed after this even if the app forgets. */
export const PROBE_LIFETIME_MS = 30_000;

interface Entry {
  socket?: DatagramSocket;
  label: string;
  /** The probe's UDP 68: sends go only to UDP 67, and it closes itself after its lifetime. */
  probe: boolean;
  timer?: NodeJS.Timeout;
}

type OpenRequest = { id: number; port: number; iface: string; probe: boolean };

/** Serves until `input` ends or errors, or the stream goes out of step; then every socket is closed. */
export function serveConnection(input: Readable, output: Writable, opts: HelperOptions): Promise<void> {
  const factory = opts.socketFactory ?? nodeSocketFactory;
  const log = opts.log ?? (() => {});
  const sockets = new Map<number, Entry>();
  const splitter = new FrameSplitter();
  let ended = false;

  const reply = (m: HelperMessage) => {
    if (!ended && output.writable) output.write(encodeFrame(m));
  };
  const fail = (id: number, reason: FailReason, message: string) => {
    log(`refused #${id}: ${message}`);
    reply({ type: 'failed', id, reason, message });
  };

  function refusal(m: OpenRequest): string | undefined {
    if (!m.probe && m.port === PROBE_PORT) return `port ${PROBE_PORT} is bound only for the existing-DHCP probe (a probe frame), never as a service port`;
    if (!m.probe && !PRIVILEGED_PORTS.includes(m.port)) return `port ${m.port} is not one the helper binds (only ${PRIVILEGED_PORTS.join(', ')})`;
    if (m.probe && [...sockets.values()].some((s) => s.probe)) return `one existing-DHCP probe at a time: UDP ${PROBE_PORT} is already open`;
    if (opts.interfaces.length && !opts.interfaces.includes(m.iface)) return `interface ${m.iface} is not allowed (the helper was started for ${opts.interfaces.join(', ')})`;
    if (sockets.has(m.id)) return `socket id ${m.id} is already in use`;
    if (sockets.size >= MAX_SOCKETS) return `at most ${MAX_SOCKETS} sockets at once`;
    return undefined;
  }

  function close(id: number): void {
    const s = sockets.get(id);
    sockets.delete(id);
    if (s) log(`closed ${s.label} (#${id})`);
    clearTimeout(s?.timer);
    void s?.socket?.close();
  }

  function closeProbeLater(id: number): NodeJS.Timeout {
    const ms = opts.probeLifetimeMs ?? PROBE_LIFETIME_MS;
    const timer = setTimeout(() => {
      close(id);
      reply({ type: 'failed', id, reason: 'error', message: `the probe's UDP ${PROBE_PORT} was closed after ${ms / 1000} s` });
    }, ms);
    return timer.unref();
  }

  async function open(m: OpenRequest): Promise<void> {
    const why = refusal(m);
    if (why) return fail(m.id, 'refused', why);
    const entry: Entry = { label: `UDP ${m.port} on ${m.iface}${m.probe ? ' for the existing-DHCP probe' : ''}`, probe: m.probe };
    sockets.set(m.id, entry);
    try {
      const socket = await factory({
        port: m.port,
        iface: m.iface,
        onMessage: (payload, from) => reply({ type: 'datagram', id: m.id, address: from.address, port: from.port, payload }),
        onError: (e) => reply({ type: 'failed', id: m.id, reason: 'error', message: e.message }),
      });
      if (ended || sockets.get(m.id) !== entry) return void (await socket.close());
      entry.socket = socket;
      if (m.probe) entry.timer = closeProbeLater(m.id);
      log(`bound ${entry.label} (#${m.id})`);
      reply({ type: 'opened', id: m.id });
    } catch (e) {
      sockets.delete(m.id);
      fail(m.id, reasonOf(e), (e as Error).message);
    }
  }

  function handle(m: HelperMessage): void {
    if (m.type === 'open') return void open({ ...m, probe: false });
    if (m.type === 'probe') return void open({ id: m.id, port: PROBE_PORT, iface: m.iface, probe: true });
    if (m.type === 'close') return close(m.id);
    if (m.type === 'send') {
      const entry = sockets.get(m.id);
      const s = entry?.socket;
      if (!s) return fail(m.id, 'not-found', `no open socket #${m.id}`);
      // The probe only broadcasts a DISCOVER to servers; its socket is no general UDP 68.
      if (entry.probe && m.port !== 67) return fail(m.id, 'refused', `the probe's UDP ${PROBE_PORT} sends only to UDP 67, not ${m.port}`);
      return void s.send(m.payload, m.port, m.address).catch((e: Error) => reply({ type: 'failed', id: m.id, reason: 'error', message: e.message }));
    }
    fail(m.id, 'refused', `the app may not send ${m.type} frames`);
  }

  return new Promise((resolve) => {
    const finish = (why: string) => {
      if (ended) return;
      ended = true;
      log(`app connection ended (${why}): closing ${sockets.size} socket(s)`);
      const all = [...sockets.values()];
      sockets.clear();
      for (const s of all) clearTimeout(s.timer);
      void Promise.all(all.map((s) => s.socket?.close())).finally(() => resolve());
    };
    input.on('data', (chunk: Buffer) => {
      for (const m of splitter.push(chunk)) {
        if (isProtocolError(m)) log(`dropped a bad frame: ${m.field}: ${m.message}`);
        else handle(m);
      }
      if (splitter.fatal) finish(`protocol: ${splitter.fatal.message}`);
    });
    input.on('end', () => finish('end of input'));
    input.on('close', () => finish('closed'));
    input.on('error', (e) => finish(e.message));
    output.on('error', (e) => finish(`output: ${e.message}`));
  });
}

function reasonOf(e: unknown): FailReason {
  if (isDragonflyError(e, 'DF_ERR_FORBIDDEN')) return 'forbidden';
  if (isDragonflyError(e, 'DF_ERR_CONFLICT')) return 'in-use';
  if (isDragonflyError(e, 'DF_ERR_NOT_FOUND')) return 'not-found';
  return 'error';
}
