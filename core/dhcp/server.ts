/**
 * The DHCP server: full (addresses + boot), proxy (boot only, ports 67 and 4011) or off.
 * It owns sockets and counters; the decisions live in full-mode.ts and proxy-mode.ts. What a
 * client boots is not its business: it asks the `bootPolicy` callback it is given (the
 * control plane passes core/boot's; without one it hands out addresses only).
 *
 * start() rejects with a DragonflyError when a port cannot be bound (not privileged, port in
 * use, unknown interface), with the fix in the message.
 */
import { DragonflyError } from '../shared/errors.ts';
import { discardLogger, type Logger } from '../shared/logger.ts';
import { parseMac } from '../shared/mac.ts';
import { interfaceIpv4 } from './bind-to-interface.ts';
import { noBootPolicy, type BootPolicy } from './boot-policy.ts';
import { decodeDhcp, DecodeError, encodeDhcp, BOOTREQUEST, type DhcpPacket } from './codec.ts';
import type { DhcpEvent, HandlerResult } from './events.ts';
import { handleFullMode, type FullModeContext } from './full-mode.ts';
import { broadcastOf, sameSubnet } from './ipv4.ts';
import { LeasePool } from './lease-pool.ts';
import { createMemoryLeaseStore, type LeaseStore } from './lease-store.ts';
import { messageTypeName } from './options/message.ts';
import { handleProxyDiscover, handleProxyRequest, type ProxyModeContext } from './proxy-mode.ts';
import { replyDestination } from './rfc2131.ts';
import { nodeSocketFactory, type DatagramSocket, type Remote, type SocketFactory } from './sockets.ts';
import type { DhcpMode } from '../shared/dhcp-mode.ts';

export interface DhcpServerOptions {
  /** Interface to serve, e.g. "enp3s0". Sockets are tied to it; nothing answers elsewhere. Undefined only in tests. */
  interface?: string;
  /** 'full': addresses and boot info; 'proxy': boot info only (another server leases); 'off': bind nothing. */
  mode: DhcpMode;
  /** Our address on the interface: option 54 and default next-server. Default: the interface's first IPv4 address. */
  serverIp?: string;
  /** Subnet mask of the served network (option 1). Default: the interface's netmask. */
  subnetMask?: string;
  /** Full mode: first and last address to lease, inclusive, inside the interface's subnet. Required for full mode. */
  range?: { start: string; end: string };
  /** Full mode: fixed addresses by MAC (any MAC spelling). Default none. */
  reservations?: Array<{ mac: string; ip: string }>;
  /** Option 3. Default: none (no default route handed out). */
  router?: string;
  /** Option 6. Default: none. */
  dns?: string[];
  /** Option 15. Default: none. */
  domain?: string;
  /** Option 51, seconds. Default 3600. Must be > 0. */
  leaseSeconds?: number;
  /** How long an OFFER reserves its address, seconds. Default 60. */
  offerHoldSeconds?: number;
  /** How long a DECLINEd (or probed-in-use) address is kept out, seconds. Default 600. */
  declineHoldSeconds?: number;
  /** What each client boots. Default: nothing (full mode then leases addresses only; proxy mode answers no one). */
  bootPolicy?: BootPolicy;
  /**
   * Where bound leases live. Default: in memory (lost on restart); use openFileLeaseStore for
   * durability, or the etcd store (core/swarm) to share leases between instances: a REQUEST
   * for an address the store says another instance holds is NAKed.
   */
  leaseStore?: LeaseStore;
  /** Ping-before-offer check; default none (it costs about 3 s per OFFER, LAB.md). */
  probeAddressInUse?: (ip: string) => Promise<boolean>;
  /** PXE menu label shown by BIOS ROMs in proxy mode. Default "Dragonfly". */
  menuLabel?: string;
  logger?: Logger;
  /** Called for every DHCP event (discover/offer/request/ack/nak/release/decline/inform/dropped). Must not throw. */
  onEvent?: (e: DhcpEvent) => void;
  /** Default: Node dgram tied to `interface`. */
  socketFactory?: SocketFactory;
  /** Milliseconds since the epoch. Default Date.now. */
  clock?: () => number;
  /** Ports; defaults 67 (server), 68 (client), 4011 (PXE boot server). Tests change them. */
  ports?: { server?: number; client?: number; pxe?: number };
}

export interface DhcpStats {
  received: number;
  decodeErrors: number;
  dropped: number;
  handlerErrors: number;
  sendErrors: number;
  offers: number;
  acks: number;
  naks: number;
  poolExhausted: number;
}

export interface DhcpServer {
  readonly mode: DhcpMode;
  /** Binds the sockets. Rejects with a DragonflyError (privileges, port in use, bad config). */
  start(): Promise<void>;
  /** Releases every socket. Safe to call twice. */
  close(): Promise<void>;
  stats(): DhcpStats;
}

function requireConfig(ok: unknown, message: string): asserts ok {
  if (!ok) throw new DragonflyError('DF_ERR_INVALID', message);
}

interface Resolved {
  serverIp: string;
  subnetMask: string;
  ports: { server: number; client: number; pxe: number };
}

function resolveAddresses(o: DhcpServerOptions): Resolved {
  const ifAddr = o.interface ? interfaceIpv4(o.interface) : undefined;
  const serverIp = o.serverIp ?? ifAddr?.address;
  const subnetMask = o.subnetMask ?? ifAddr?.netmask;
  requireConfig(serverIp, `DHCP: interface "${o.interface ?? '(none)'}" has no IPv4 address and no serverIp was given`);
  requireConfig(subnetMask, 'DHCP: no subnet mask given or found on the interface');
  return { serverIp, subnetMask, ports: { server: o.ports?.server ?? 67, client: o.ports?.client ?? 68, pxe: o.ports?.pxe ?? 4011 } };
}

function makePool(o: DhcpServerOptions, r: Resolved, now: () => number): LeasePool {
  requireConfig(o.range, 'DHCP full mode needs a range (start and end address)');
  for (const ip of [o.range.start, o.range.end]) {
    requireConfig(sameSubnet(ip, r.serverIp, r.subnetMask), `DHCP range address ${ip} is outside the subnet of ${r.serverIp}/${r.subnetMask}`);
  }
  return new LeasePool({
    rangeStart: o.range.start,
    rangeEnd: o.range.end,
    reservations: new Map((o.reservations ?? []).map((x) => [parseMac(x.mac), x.ip])),
    excluded: new Set([r.serverIp]),
    offerHoldMs: (o.offerHoldSeconds ?? 60) * 1000,
    declineHoldMs: (o.declineHoldSeconds ?? 600) * 1000,
    store: o.leaseStore ?? createMemoryLeaseStore([], { now }),
    now,
  });
}

const emptyStats = (): DhcpStats => ({ received: 0, decodeErrors: 0, dropped: 0, handlerErrors: 0, sendErrors: 0, offers: 0, acks: 0, naks: 0, poolExhausted: 0 });

export function createDhcpServer(opts: DhcpServerOptions): DhcpServer {
  const logger = (opts.logger ?? discardLogger).child({ component: 'dhcp', mode: opts.mode, iface: opts.interface });
  const factory = opts.socketFactory ?? nodeSocketFactory;
  const now = opts.clock ?? Date.now;
  const counters = emptyStats();
  const sockets: DatagramSocket[] = [];
  let closed = false;

  const emit = (e: DhcpEvent) => {
    try {
      opts.onEvent?.(e);
    } catch (err) {
      logger.warn({ err }, 'onEvent callback threw');
    }
  };

  async function send(sock: DatagramSocket, reply: DhcpPacket, to: Remote): Promise<void> {
    try {
      await sock.send(encodeDhcp(reply), to.port, to.address);
    } catch (err) {
      counters.sendErrors++;
      logger.debug({ err, to }, 'DHCP send failed');
    }
  }

  function count(result: HandlerResult): void {
    for (const e of result.events) {
      if (e.type === 'offer') counters.offers++;
      else if (e.type === 'ack') counters.acks++;
      else if (e.type === 'nak') counters.naks++;
      else if (e.type === 'dropped' && e.reason === 'pool exhausted') counters.poolExhausted++;
      emit(e);
    }
    if (result.drop) counters.dropped++;
  }

  /** The serve loop body: decode, decide, reply. Never throws (a bad packet is counted and dropped). */
  function serve(sock: () => DatagramSocket, handler: (p: DhcpPacket) => Promise<HandlerResult>, destination: (req: DhcpPacket, reply: DhcpPacket, from: Remote) => Remote) {
    return (data: Uint8Array, from: Remote): void => {
      counters.received++;
      const req = decodeDhcp(data);
      if (req instanceof DecodeError) {
        counters.decodeErrors++;
        logger.debug({ from, error: req.message }, 'undecodable DHCP datagram dropped');
        return;
      }
      if (req.op !== BOOTREQUEST) {
        counters.dropped++;
        return;
      }
      handler(req).then(
        async (result) => {
          count(result);
          if (result.drop) logger.debug({ from, type: messageTypeName(req.options.messageType), why: result.drop }, 'DHCP request not answered');
          if (result.reply && !closed) await send(sock(), result.reply, destination(req, result.reply, from));
        },
        (err) => {
          counters.handlerErrors++;
          logger.warn({ err, from }, 'DHCP handler failed; request dropped');
        },
      );
    };
  }

  async function open(port: number, onMessage: (d: Uint8Array, f: Remote) => void): Promise<DatagramSocket> {
    const s = await factory({ port, iface: opts.interface, onMessage, onError: (err) => logger.debug({ err }, 'DHCP socket error') });
    sockets.push(s);
    return s;
  }

  async function startFull(r: Resolved): Promise<void> {
    requireConfig((opts.leaseSeconds ?? 3600) > 0, 'DHCP leaseSeconds must be > 0');
    const pool = makePool(opts, r, now);
    await pool.load();
    const ctx: FullModeContext = {
      pool,
      serverIp: r.serverIp,
      network: { subnetMask: r.subnetMask, broadcastAddress: broadcastOf(r.serverIp, r.subnetMask), routers: opts.router ? [opts.router] : undefined, dnsServers: opts.dns, domainName: opts.domain },
      leaseSeconds: opts.leaseSeconds ?? 3600,
      bootPolicy: opts.bootPolicy ?? noBootPolicy,
      probeAddressInUse: opts.probeAddressInUse,
      logger,
    };
    const toClient = (req: DhcpPacket, reply: DhcpPacket): Remote => {
      const d = replyDestination(req, reply);
      if (d.kind === 'relay') return { address: d.address, port: r.ports.server };
      if (d.kind === 'unicast') return { address: d.address, port: r.ports.client };
      return { address: '255.255.255.255', port: r.ports.client }; // broadcast, and hardware-unicast fallback
    };
    // The handler needs its own socket to reply on; it runs only after open() has returned.
    const main: DatagramSocket = await open(r.ports.server, serve(() => main, (p) => handleFullMode(p, ctx), toClient));
  }

  async function startProxy(r: Resolved): Promise<void> {
    if (!opts.bootPolicy) logger.warn('proxy DHCP without a boot policy answers no one');
    const ctx: ProxyModeContext = { serverIp: r.serverIp, bootPolicy: opts.bootPolicy ?? noBootPolicy, menuLabel: opts.menuLabel ?? 'Dragonfly' };
    const toClient = (req: DhcpPacket): Remote =>
      req.giaddr !== '0.0.0.0' ? { address: req.giaddr, port: r.ports.server } : { address: '255.255.255.255', port: r.ports.client };
    const main: DatagramSocket = await open(r.ports.server, serve(() => main, (p) => handleProxyDiscover(p, ctx), toClient));
    // 4011 replies go straight back to the asking address and port (PXE 2.1 2.2.6).
    const pxe: DatagramSocket = await open(r.ports.pxe, serve(() => pxe, (p) => handleProxyRequest(p, ctx), (_q, _p, from) => from));
  }

  async function close(): Promise<void> {
    closed = true;
    const all = sockets.splice(0);
    await Promise.all(all.map((s) => s.close().catch(() => {})));
  }

  return {
    mode: opts.mode,
    async start() {
      if (opts.mode === 'off') return;
      closed = false;
      const r = resolveAddresses(opts);
      try {
        if (opts.mode === 'full') await startFull(r);
        else await startProxy(r);
      } catch (e) {
        await close();
        throw e;
      }
      logger.info({ serverIp: r.serverIp, range: opts.range }, `DHCP ${opts.mode} mode serving`);
    },
    close,
    stats: () => ({ ...counters }),
  };
}
