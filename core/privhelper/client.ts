/**
 * The app's side of the helper: one connection (a Unix socket to a helper root started, or the
 * stdin/stdout of a helper the app started through pkexec) carrying many relayed sockets.
 * `open` has the shape of a dhcp SocketFactory, so the servers do not know the difference.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { DatagramSocket, SocketSpec } from '../dhcp/sockets.ts';
import { DragonflyError, type ErrorCode } from '../shared/errors.ts';
import { encodeFrame, FrameSplitter, isProtocolError, PROBE_PORT, type FailReason, type HelperMessage } from './protocol.ts';

/** Where the helper is: `unix:/run/dragonfly/privhelper.sock`, or `exec:COMMAND ARGS...` speaking on stdio. */
export type HelperTarget = { kind: 'unix'; path: string } | { kind: 'exec'; argv: string[] };

export function parseHelperTarget(s: string): HelperTarget {
  if (s.startsWith('unix:') && s.length > 5) return { kind: 'unix', path: s.slice(5) };
  const argv = s.startsWith('exec:') ? s.slice(5).trim().split(/\s+/).filter(Boolean) : [];
  if (argv.length) return { kind: 'exec', argv };
  throw new DragonflyError('DF_ERR_INVALID', `--priv-helper "${s}" must be unix:/path/to/socket or exec:COMMAND (e.g. exec:pkexec /usr/lib/dragonfly/dragonfly-privhelper --stdio)`);
}

export function describeTarget(t: HelperTarget): string {
  return t.kind === 'unix' ? `the helper at unix:${t.path}` : `the helper started with \`${t.argv.join(' ')}\``;
}

const CODE: Record<FailReason, ErrorCode> = { forbidden: 'DF_ERR_FORBIDDEN', 'in-use': 'DF_ERR_CONFLICT', 'not-found': 'DF_ERR_NOT_FOUND', refused: 'DF_ERR_FORBIDDEN', error: 'DF_ERR_UNAVAILABLE' };

interface Relayed {
  spec: SocketSpec;
  opened?: (err?: DragonflyError) => void;
}

/** Why a helper process ended, in words; pkexec's own exit codes are named (pkexec(1)). */
export function exitReason(command: string, code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `it was killed by ${signal}`;
  if (/pkexec$/.test(command) && code === 126) return 'pkexec exited with 126: the password prompt was dismissed, or no polkit agent could ask';
  if (/pkexec$/.test(command) && code === 127) return 'pkexec exited with 127: not authorized (is the polkit action computer.dragonfly.privhelper installed?)';
  return `it exited with code ${code}`;
}

export class HelperClient {
  private readonly relayed = new Map<number, Relayed>();
  private readonly splitter = new FrameSplitter();
  private nextId = 1;
  private gone: string | undefined;

  private constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    readonly description: string,
    private readonly hangUp: () => void,
    endsWith: 'stream' | 'process',
  ) {
    input.on('data', (chunk: Buffer) => this.onData(chunk));
    // A helper process's exit says more than its pipes closing or EPIPE (which may come first),
    // so for a process only the exit ends the client.
    const end = endsWith === 'stream' ? (why: string) => this.lost(why) : () => {};
    input.on('close', () => end('the helper closed the connection'));
    input.on('error', (e) => end(e.message));
    output.on('error', (e) => end(e.message));
  }

  static async connect(target: HelperTarget): Promise<HelperClient> {
    const what = describeTarget(target);
    if (target.kind === 'unix') {
      const sock = connect(target.path);
      await new Promise<void>((resolve, reject) => {
        sock.once('connect', resolve);
        sock.once('error', (e) => reject(new DragonflyError('DF_ERR_UNAVAILABLE', `cannot reach ${what}: ${e.message}. Is dragonfly-privhelper running (as root, --listen ${target.path} --owner ${process.getuid?.() ?? 'UID'})?`)));
      });
      return new HelperClient(sock, sock, what, () => sock.destroy(), 'stream');
    }
    const child = spawn(target.argv[0], target.argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(new DragonflyError('DF_ERR_UNAVAILABLE', `cannot start ${what}: ${e.message}`)));
    });
    const client = new HelperClient(child.stdout, child.stdin, what, () => child.stdin.end(), 'process');
    // pkexec asks the user first; a refusal ends the child, and pending opens learn why.
    child.once('exit', (code, signal) => client.lost(exitReason(target.argv[0], code, signal)));
    return client;
  }

  /** A relayed socket on `spec.port` tied to `spec.iface`; rejects with the helper's reason. */
  open(spec: SocketSpec): Promise<DatagramSocket> {
    return this.request(spec, (id) => ({ type: 'open', id, port: spec.port, iface: spec.iface! }));
  }

  /** The existing-DHCP probe's UDP 68 (`spec.port` must be 68): the helper binds it for this only. */
  openProbe(spec: SocketSpec): Promise<DatagramSocket> {
    if (spec.port !== PROBE_PORT) return Promise.reject(new DragonflyError('DF_ERR_INVALID', `the helper binds only UDP ${PROBE_PORT} for the probe, not ${spec.port}`));
    return this.request(spec, (id) => ({ type: 'probe', id, iface: spec.iface! }));
  }

  private request(spec: SocketSpec, frame: (id: number) => HelperMessage): Promise<DatagramSocket> {
    if (this.gone) return Promise.reject(new DragonflyError('DF_ERR_UNAVAILABLE', `${this.description} is gone: ${this.gone}`));
    if (!spec.iface) return Promise.reject(new DragonflyError('DF_ERR_INVALID', 'the privileged helper only binds sockets tied to an interface'));
    const id = this.nextId++;
    const entry: Relayed = { spec };
    this.relayed.set(id, entry);
    return new Promise((resolve, reject) => {
      entry.opened = (err) => {
        entry.opened = undefined;
        if (err) {
          this.relayed.delete(id);
          reject(err);
        } else resolve(this.socketFor(id));
      };
      this.write(frame(id));
    });
  }

  /** True once the connection ended: the next user connects again. */
  isGone(): boolean {
    return this.gone !== undefined;
  }

  close(): void {
    this.lost('closed by the app');
    this.hangUp();
  }

  private socketFor(id: number): DatagramSocket {
    return {
      send: async (payload, port, address) => {
        if (this.gone) throw new DragonflyError('DF_ERR_UNAVAILABLE', `${this.description} is gone: ${this.gone}`);
        this.write({ type: 'send', id, address, port, payload });
      },
      close: async () => {
        if (this.relayed.delete(id) && !this.gone) this.write({ type: 'close', id });
      },
    };
  }

  private write(m: HelperMessage): void {
    this.output.write(encodeFrame(m));
  }

  private onData(chunk: Buffer): void {
    for (const m of this.splitter.push(chunk)) {
      if (isProtocolError(m)) continue; // a bad frame from the helper: drop it, as a serve loop drops a bad packet
      const r = this.relayed.get(m.id);
      if (!r) continue;
      if (m.type === 'opened') r.opened?.();
      else if (m.type === 'datagram') r.spec.onMessage(m.payload, { address: m.address, port: m.port });
      else if (m.type === 'failed') {
        const err = new DragonflyError(CODE[m.reason], `${this.description}: ${m.message}`);
        if (r.opened) r.opened(err);
        else r.spec.onError?.(err);
      }
    }
    if (this.splitter.fatal) this.lost(`bad data from the helper: ${this.splitter.fatal.message}`);
  }

  /** Fails pending opens and tells open sockets (onError) that the relay is gone. */
  lost(why: string): void {
    if (this.gone) return;
    this.gone = why;
    const err = new DragonflyError('DF_ERR_UNAVAILABLE', `${this.description} is gone: ${why}`);
    for (const r of this.relayed.values()) {
      if (r.opened) r.opened(err);
      else r.spec.onError?.(err);
    }
    this.relayed.clear();
  }
}
