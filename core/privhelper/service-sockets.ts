/**
 * Socket factories for the DHCP and TFTP servers that bind directly when they may, and ask the
 * privileged helper for UDP 67/69/4011 only when the direct bind fails with EACCES/EPERM. The
 * servers themselves are unchanged: they take these as their socket factory. The existing-DHCP
 * probe's UDP 68 goes the same way, as a probe socket the helper closes again (protocol.ts).
 */
import dgram from 'node:dgram';
import { bindToInterface } from '../dhcp/bind-to-interface.ts';
import { nodeSocketFactory, type DatagramSocket, type SocketFactory, type SocketSpec } from '../dhcp/sockets.ts';
import { DragonflyError, isDragonflyError } from '../shared/errors.ts';
import { discardLogger, type Logger } from '../shared/logger.ts';
import type { UdpSocketFactory } from '../tftp/udp.ts';
import { describeTarget, HelperClient, type HelperTarget } from './client.ts';
import { PRIVILEGED_PORTS, PROBE_PORT } from './protocol.ts';

/** What NetworkServices needs to make its sockets. */
export interface ServiceSockets {
  dhcp: SocketFactory;
  /** For core/dhcp/probe.ts: UDP 68, through the helper only for the probe's lifetime. */
  probe: SocketFactory;
  tftp(iface: string): { socketFactory: UdpSocketFactory; bindSocket: (socket: dgram.Socket) => void };
  close(): void;
}

export function helperBackedSockets(target: HelperTarget, logger: Logger = discardLogger): ServiceSockets {
  let client: Promise<HelperClient> | undefined;
  const connected = async () => {
    const c = await client?.catch(() => undefined);
    if (!c || c.isGone()) client = HelperClient.connect(target);
    return client!;
  };

  const viaHelper = async (spec: SocketSpec, forProbe = false): Promise<DatagramSocket> => {
    const where = `UDP ${spec.port}${spec.iface ? ` on ${spec.iface}` : ''}`;
    let socket: DatagramSocket;
    try {
      const c = await connected();
      socket = await (forProbe ? c.openProbe(spec) : c.open(spec));
    } catch (e) {
      const code = isDragonflyError(e) ? e.code : 'DF_ERR_UNAVAILABLE';
      throw new DragonflyError(code, `not allowed to bind ${where} directly (ports below 1024 need privileges), and ${describeTarget(target)} could not bind it: ${(e as Error).message}`);
    }
    const what = forProbe ? 'for the existing-DHCP probe only (closed when the probe ends)' : `(it binds only UDP ${PRIVILEGED_PORTS.join('/')} on the provisioning interface)`;
    logger.info({ port: spec.port, iface: spec.iface, helper: describeTarget(target) }, `${where}: this user may not bind ports below 1024, so ${describeTarget(target)} binds it ${what} and relays its datagrams to Dragonfly`);
    return socket;
  };

  /** Binds directly; only a refused bind of one of `ports` goes to the helper. */
  const directOrHelper =
    (ports: readonly number[], forProbe: boolean): SocketFactory =>
    async (spec) => {
      try {
        return await nodeSocketFactory(spec);
      } catch (e) {
        if (!isDragonflyError(e, 'DF_ERR_FORBIDDEN') || !ports.includes(spec.port)) throw e;
        return viaHelper(spec, forProbe);
      }
    };
  const dhcp = directOrHelper(PRIVILEGED_PORTS, false);

  return {
    dhcp,
    probe: directOrHelper([PROBE_PORT], true),
    tftp: (iface) => ({
      socketFactory: (type) => (type === 'udp4' ? new HelperFallbackSocket(iface, viaHelper) : dgram.createSocket({ type })),
      // A relayed socket is already tied to the interface by the helper.
      bindSocket: (socket) => (socket instanceof HelperFallbackSocket && socket.relayed ? undefined : bindToInterface(socket, iface)),
    }),
    close: () => void client?.then((c) => c.close()).catch(() => {}),
  };
}

/** Can this process bind `port` itself? A throwaway bind answers; only EACCES/EPERM say no. */
export function mayBindDirectly(port: number, address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = dgram.createSocket({ type: 'udp4' });
    probe.once('error', (e: NodeJS.ErrnoException) => {
      probe.close();
      resolve(e.code !== 'EACCES' && e.code !== 'EPERM');
    });
    probe.bind({ port, address, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

type BindCallback = () => void;

/**
 * A node:dgram socket for the TFTP server (which binds sockets itself): binding a privileged
 * port this process may not bind turns it into a relay through the helper; every other bind
 * (the transfer sockets on ephemeral ports) is the ordinary one.
 */
export class HelperFallbackSocket extends dgram.Socket {
  relayed: DatagramSocket | undefined;
  private relayedPort = 0;

  constructor(
    private readonly iface: string,
    private readonly viaHelper: (spec: SocketSpec) => Promise<DatagramSocket>,
  ) {
    // @types/node declares no constructor for dgram.Socket; node:dgram's takes the createSocket options.
    super(...([{ type: 'udp4' }] as unknown as []));
  }

  override bind(...args: unknown[]): this {
    const opts = typeof args[0] === 'object' && args[0] !== null ? (args[0] as dgram.BindOptions) : { port: args[0] as number, address: typeof args[1] === 'string' ? args[1] : undefined };
    const cb = args.find((a) => typeof a === 'function') as BindCallback | undefined;
    const port = opts.port ?? 0;
    if (!PRIVILEGED_PORTS.includes(port)) return (super.bind as (...a: unknown[]) => this)(...args);
    const bindHere = () => void (super.bind as (...a: unknown[]) => this)(...args);
    void mayBindDirectly(port, opts.address ?? '0.0.0.0').then((direct) => (direct ? bindHere() : this.bindViaHelper(port, cb)));
    return this;
  }

  private async bindViaHelper(port: number, cb: BindCallback | undefined): Promise<void> {
    try {
      this.relayed = await this.viaHelper({
        port,
        iface: this.iface,
        onMessage: (data, from) => this.emit('message', Buffer.from(data.buffer, data.byteOffset, data.length), { address: from.address, family: 'IPv4', port: from.port, size: data.length }),
        onError: (e) => this.emit('error', e),
      });
      this.relayedPort = port;
      this.emit('listening');
      cb?.();
    } catch (e) {
      this.emit('error', e);
    }
  }

  override send(msg: unknown, ...rest: unknown[]): void {
    if (!this.relayed) return (super.send as (...a: unknown[]) => void)(msg, ...rest);
    const [port, address] = rest.filter((a) => typeof a !== 'function') as [number, string];
    const cb = rest.find((a) => typeof a === 'function') as ((e: Error | null) => void) | undefined;
    const bytes = msg instanceof Uint8Array ? msg : Buffer.from(String(msg));
    this.relayed.send(bytes, port, address).then(() => cb?.(null), (e: Error) => (cb ? cb(e) : this.emit('error', e)));
  }

  override close(cb?: () => void): this {
    void this.relayed?.close();
    return super.close(cb);
  }

  override address(): dgram.Socket extends { address(): infer A } ? A : never {
    if (this.relayed) return { address: '0.0.0.0', family: 'IPv4', port: this.relayedPort };
    return super.address();
  }
}
