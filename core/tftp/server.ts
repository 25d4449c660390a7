/**
 * Read-only TFTP server for PXE (RFC 1350 + 2347/2348/2349/7440). Requests arrive on the
 * listening port; each accepted read runs in a TftpSession on its own ephemeral UDP
 * socket (a new transfer ID, RFC 1350 section 4). Files come from `resolve` (generated
 * content) and then from `root` (a directory jail). Writes are refused.
 *
 * Usage:
 *   const tftp = await createTftpServer({ address: '192.168.50.1', root: '/srv/tftp',
 *     resolve: async (path, client) => path === 'autoexec.ipxe' ? { size, open: () => bytes } : undefined });
 *   ...
 *   await tftp.close();
 */
import type dgram from 'node:dgram';
import { realpath } from 'node:fs/promises';
import { discardLogger, type Logger } from '../shared/logger.ts';
import { decodeTftp, encodeTftp, isDecodeError, TftpErrorCode, type TftpRequest } from './codec.ts';
import { negotiateOptions } from './options.ts';
import { openInRoot, normalizeRequestPath, type OpenedFile } from './path-jail.ts';
import { systemClock, TftpSession, type BlockReader, type SessionEnd, type TftpClock } from './session.ts';
import { toBlockReader, type TftpSource } from './sources.ts';
import {
  bindUdp,
  closeQuietly,
  defaultSocketFactory,
  flushingSender,
  listenError,
  socketTypeFor,
  type UdpSocketFactory,
} from './udp.ts';

export interface TftpClient {
  address: string;
  port: number;
}

/** A file the resolver serves: its exact size in bytes, and how to read it. */
export interface TftpFile {
  size: number;
  /** Called once per transfer; the server closes what it returns when the transfer ends. */
  open(): TftpSource | Promise<TftpSource>;
}

/**
 * Generated content hook. `path` is already normalized and jailed ("boot/ipxe.efi", no
 * leading slash, no ".."). Return undefined to fall through to `root`.
 */
export type TftpResolver = (path: string, client: TftpClient) => Promise<TftpFile | undefined>;

export interface TftpEvent {
  type: 'transfer-start' | 'transfer-done' | 'transfer-error';
  /** Normalized path; the raw requested name when it was refused before normalizing. */
  path: string;
  client: TftpClient;
  /** Bytes the client acknowledged (0 for refusals and at start). */
  bytes: number;
  /** Milliseconds since the request arrived. */
  ms: number;
  /**
   * For transfer-error, what ended it. Refusals: 'write-refused', 'bad-mode', 'busy',
   * 'path-refused', 'not-found', 'access-denied', 'error', 'socket'. Transfers:
   * 'client-error' (the client sent ERROR), 'timeout', 'protocol-error', 'read-error', 'aborted'.
   */
  outcome?: string;
  /** TFTP error code sent or received, when there was one (8: the client's size probe). */
  code?: number;
  message?: string;
}

export interface TftpServerOptions {
  /** Address to listen on (the provisioning interface's); required so nothing listens on every interface. */
  address: string;
  /** UDP port. Default 69. 0 picks an ephemeral port (tests). */
  port?: number;
  /** Directory served read-only; symlinks may not leave it. Undefined: only `resolve` serves files. */
  root?: string;
  /** Generated-content hook, asked before `root`. */
  resolve?: TftpResolver;
  /**
   * Largest blksize agreed (RFC 2348), bytes. Default 1468 (1500-byte MTU minus IP/UDP/TFTP
   * headers); set it to MTU - 32 for other links. Clamped to 8..65464, so 0 means 8.
   */
  maxBlksize?: number;
  /** Largest windowsize agreed (RFC 7440), blocks. Default 16. 1 (or 0) disables windowing. */
  maxWindowsize?: number;
  /** Retransmission timeout when the client sets none, milliseconds. Default 1000; 0 or less means the default. */
  timeoutMs?: number;
  /** Retransmissions of a window before a transfer is given up. Default 5; 0: give up at the first timeout. */
  maxRetries?: number;
  /** Transfers at once; further requests get ERROR 0 "server busy". Default 512; 0: no limit. */
  maxTransfers?: number;
  /** Makes UDP sockets. Default node:dgram. */
  socketFactory?: UdpSocketFactory;
  /** Called after each socket is bound (e.g. SO_BINDTOIFINDEX); a throw refuses that transfer or fails start. */
  bindSocket?: (socket: dgram.Socket, role: 'listen' | 'transfer') => void | Promise<void>;
  /** Time source for timeouts and event durations. Default: the system clock. */
  clock?: TftpClock;
  /** Default: discard. Per-packet detail is logged at debug only. */
  logger?: Logger;
  /** Transfer events for the UI/event stream. A throwing listener is logged and ignored. */
  onEvent?: (event: TftpEvent) => void;
}

export interface TftpStats {
  requests: number;
  refused: number;
  transfersDone: number;
  transfersFailed: number;
  active: number;
  /** Datagrams that did not decode, or were not requests on the listening port. */
  dropped: number;
  /** Datagrams from a foreign port on a transfer socket, answered with ERROR 5. */
  unknownTid: number;
}

export interface TftpServer {
  /** Where it listens (port resolved when 0 was asked). */
  readonly address: TftpClient;
  readonly stats: Readonly<TftpStats>;
  /** Stops listening, aborts transfers (each client gets an ERROR), closes every socket and file. */
  close(): Promise<void>;
}

interface Transfer {
  client?: TftpClient;
  session: TftpSession;
  closed: Promise<void>;
}

type Lookup = { ok: true; size: number; reader: BlockReader } | { ok: false; code: number; reason: string };

/** Options with every default filled in (`??`, so an explicit undefined also gets the default). */
function withDefaults(options: TftpServerOptions) {
  return {
    ...options,
    port: options.port ?? 69,
    maxBlksize: options.maxBlksize ?? 1468,
    maxWindowsize: options.maxWindowsize ?? 16,
    timeoutMs: options.timeoutMs && options.timeoutMs > 0 ? options.timeoutMs : 1000,
    maxRetries: options.maxRetries ?? 5,
    maxTransfers: options.maxTransfers ?? 512,
    socketFactory: options.socketFactory ?? defaultSocketFactory,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? discardLogger,
    onEvent: options.onEvent ?? (() => {}),
  };
}

/** The `outcome` of an event for a refused lookup, from the TFTP error code sent. */
function lookupOutcome(code: number): string {
  if (code === TftpErrorCode.fileNotFound) return 'not-found';
  if (code === TftpErrorCode.accessViolation) return 'access-denied';
  return 'error';
}

/** Starts the server; rejects with a DragonflyError naming the fix when the port cannot be bound. */
export async function createTftpServer(options: TftpServerOptions): Promise<TftpServer> {
  const o = withDefaults(options);
  const log = o.logger.child({ component: 'tftp' });
  const emit = (event: TftpEvent) => {
    try {
      o.onEvent(event);
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'tftp onEvent handler threw'); // a listener must not kill transfers
    }
  };
  const realRoot = o.root === undefined ? undefined : await realpath(o.root);
  const type = socketTypeFor(o.address);
  const stats: TftpStats = { requests: 0, refused: 0, transfersDone: 0, transfersFailed: 0, active: 0, dropped: 0, unknownTid: 0 };
  const transfers = new Set<Transfer>();
  const starting = new Set<Promise<void>>();
  let closing = false;

  const listener = o.socketFactory(type);
  try {
    await bindUdp(listener, o.port, o.address);
    await o.bindSocket?.(listener, 'listen');
  } catch (e) {
    closeQuietly(listener);
    throw listenError(e, o.address, o.port);
  }
  listener.on('error', (e) => log.warn({ err: e.message }, 'tftp listening socket error'));
  listener.on('message', (msg, rinfo) => onRequestDatagram(msg, { address: rinfo.address, port: rinfo.port }));

  /** Transfers to this exact client address and port. */
  function transfersOf(client: TftpClient): Transfer[] {
    return [...transfers].filter((t) => t.client?.address === client.address && t.client.port === client.port);
  }

  function onRequestDatagram(msg: Buffer, client: TftpClient): void {
    const p = decodeTftp(msg);
    // Some firmware (OVMF's size probe) sends its ERROR to port 69 rather than to the transfer's
    // port: it still ends that client's transfer, or the OACK keeps being resent at a client
    // that has moved on.
    if (!isDecodeError(p) && p.op === 'error') {
      for (const t of transfersOf(client)) t.session.handle(p);
    }
    // A new request from the same client port means it started over: the old transfer is dead
    // (OVMF asks again from the same port right after its probe).
    if (!isDecodeError(p) && (p.op === 'rrq' || p.op === 'wrq')) {
      for (const t of transfersOf(client)) t.session.cancel('the client sent a new request from the same port');
    }
    if (isDecodeError(p) || (p.op !== 'rrq' && p.op !== 'wrq')) {
      // Never answer junk on port 69: it would make us a reflector.
      stats.dropped++;
      log.debug({ client, reason: isDecodeError(p) ? p.message : `${p.op} on the listening port` }, 'tftp datagram dropped');
      return;
    }
    stats.requests++;
    const started = handleRequest(p, client, o.clock.now()).catch((e) => {
      log.warn({ client, err: (e as Error).message }, 'tftp request failed');
    });
    starting.add(started);
    void started.finally(() => starting.delete(started));
  }

  function refuse(client: TftpClient, path: string, t0: number, code: number, reason: string, outcome: string): void {
    stats.refused++;
    const message = code === TftpErrorCode.fileNotFound ? 'file not found' : code === TftpErrorCode.accessViolation ? 'access violation' : reason;
    if (!closing) listener.send(encodeTftp({ op: 'error', code, message }), client.port, client.address, () => {});
    log.debug({ client, path, reason }, 'tftp request refused');
    emit({ type: 'transfer-error', path, client, bytes: 0, ms: o.clock.now() - t0, outcome, code, message: reason });
  }

  async function handleRequest(req: TftpRequest, client: TftpClient, t0: number): Promise<void> {
    if (closing) return;
    const raw = req.filename;
    if (req.op === 'wrq') return refuse(client, raw, t0, TftpErrorCode.accessViolation, 'read-only server', 'write-refused');
    const mode = req.mode.toLowerCase();
    if (mode !== 'octet') {
      const code = mode === 'netascii' ? TftpErrorCode.notDefined : TftpErrorCode.illegalOperation;
      return refuse(client, raw, t0, code, `mode ${req.mode} not supported, use octet (binary)`, 'bad-mode');
    }
    if (o.maxTransfers > 0 && transfers.size >= o.maxTransfers) {
      return refuse(client, raw, t0, TftpErrorCode.notDefined, 'server busy', 'busy');
    }
    const norm = normalizeRequestPath(raw);
    if (!norm.ok) return refuse(client, raw, t0, norm.code, norm.reason, 'path-refused');
    const found = await lookup(norm.path, client);
    if (!found.ok) return refuse(client, norm.path, t0, found.code, found.reason, lookupOutcome(found.code));
    if (closing) return void (await found.reader.close());
    await startSession(req, client, norm.path, found, t0);
  }

  async function lookup(path: string, client: TftpClient): Promise<Lookup> {
    try {
      const generated = await o.resolve?.(path, client);
      if (generated) return { ok: true, size: generated.size, reader: toBlockReader(await generated.open()) };
    } catch (e) {
      log.warn({ path, err: (e as Error).message }, 'tftp resolver failed');
      return { ok: false, code: TftpErrorCode.notDefined, reason: 'resolver failed' };
    }
    if (realRoot === undefined) return { ok: false, code: TftpErrorCode.fileNotFound, reason: `${path}: not found` };
    const opened: OpenedFile = await openInRoot(realRoot, path);
    return opened;
  }

  async function startSession(req: TftpRequest, client: TftpClient, path: string, file: Lookup & { ok: true }, t0: number) {
    const socket = o.socketFactory(type);
    try {
      await bindUdp(socket, 0, o.address);
      await o.bindSocket?.(socket, 'transfer');
    } catch (e) {
      closeQuietly(socket);
      await file.reader.close();
      return refuse(client, path, t0, TftpErrorCode.notDefined, `no transfer socket: ${(e as Error).message}`, 'socket');
    }
    if (closing) {
      closeQuietly(socket);
      return void (await file.reader.close());
    }
    const agreed = negotiateOptions(req.options, o, file.size);
    let finish: () => void = () => {};
    const transfer: Transfer = { client, session: undefined as unknown as TftpSession, closed: new Promise((r) => (finish = r)) };
    const sender = flushingSender(socket, client);
    const onEnd = (end: SessionEnd) => {
      transfers.delete(transfer);
      stats.active = transfers.size;
      sender.closeWhenFlushed();
      void Promise.resolve(file.reader.close())
        .catch(() => {})
        .finally(finish);
      report(end, path, client, t0);
    };
    transfer.session = new TftpSession(
      {
        size: file.size,
        blksize: agreed.blksize,
        windowsize: agreed.windowsize,
        timeoutMs: agreed.timeoutSeconds ? agreed.timeoutSeconds * 1000 : o.timeoutMs,
        maxRetries: o.maxRetries,
        oack: agreed.reply,
      },
      { send: sender.send, reader: file.reader, clock: o.clock, onEnd },
    );
    socket.on('message', (msg, rinfo) => onTransferDatagram(transfer, socket, client, msg, rinfo));
    socket.on('error', (e) => transfer.session.abort(`socket error: ${e.message}`));
    transfers.add(transfer);
    stats.active = transfers.size;
    emit({ type: 'transfer-start', path, client, bytes: 0, ms: o.clock.now() - t0 });
    transfer.session.start();
  }

  function onTransferDatagram(t: Transfer, socket: dgram.Socket, client: TftpClient, msg: Buffer, rinfo: dgram.RemoteInfo) {
    if (rinfo.port !== client.port || rinfo.address !== client.address) {
      // RFC 1350 section 4: a packet from another TID gets ERROR 5, the transfer goes on.
      stats.unknownTid++;
      socket.send(encodeTftp({ op: 'error', code: TftpErrorCode.unknownTransferId, message: 'unknown transfer ID' }), rinfo.port, rinfo.address, () => {});
      return;
    }
    const p = decodeTftp(msg);
    if (isDecodeError(p)) {
      stats.dropped++;
      log.debug({ client, reason: p.message }, 'tftp datagram dropped');
      return;
    }
    t.session.handle(p);
  }

  function report(end: SessionEnd, path: string, client: TftpClient, t0: number): void {
    const ms = o.clock.now() - t0;
    if (end.outcome === 'done') {
      stats.transfersDone++;
      log.debug({ path, client, bytes: end.bytes, ms }, 'tftp transfer done');
      return emit({ type: 'transfer-done', path, client, bytes: end.bytes, ms });
    }
    stats.transfersFailed++;
    const code = end.outcome === 'client-error' ? end.code : undefined;
    const message = 'message' in end ? end.message : end.outcome;
    log.debug({ path, client, outcome: end.outcome, code, message }, 'tftp transfer ended early');
    emit({ type: 'transfer-error', path, client, bytes: end.bytes, ms, outcome: end.outcome, code, message });
  }

  async function close(): Promise<void> {
    if (closing) return;
    closing = true;
    closeQuietly(listener);
    await Promise.all([...starting]);
    const running = [...transfers];
    for (const t of running) t.session.abort('server shutting down');
    await Promise.all(running.map((t) => t.closed));
  }

  const bound = listener.address();
  return {
    address: { address: bound.address, port: bound.port },
    stats,
    close,
  };
}
