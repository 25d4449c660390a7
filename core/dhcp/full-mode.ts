/**
 * Full mode: this server owns the subnet's addresses. One function per message type,
 * following RFC 2131 section 4.3. Returns what to send; the server does the sending.
 */
import type { Logger } from '../shared/logger.ts';
import type { Mac } from '../shared/mac.ts';
import type { BootPolicy } from './boot-policy.ts';
import { classifyClient, type ClientClass } from './classify.ts';
import { clientMac, type DhcpPacket } from './codec.ts';
import type { DhcpEvent, HandlerResult } from './events.ts';
import { sameSubnet } from './ipv4.ts';
import type { LeasePool } from './lease-pool.ts';
import { MessageType } from './options/message.ts';
import { nakTo, replyTo, withBoot, withLeaseTimes, withNetwork, type NetworkOptions } from './replies.ts';
import { isForUs, requestState } from './rfc2131.ts';

export interface FullModeContext {
  pool: LeasePool;
  serverIp: string;
  network: NetworkOptions;
  leaseSeconds: number;
  bootPolicy: BootPolicy;
  /** Optional ping-before-offer; true means "someone answers at this address". */
  probeAddressInUse?: (ip: string) => Promise<boolean>;
  logger: Logger;
}

const PROBE_ATTEMPTS = 3;
/**
 * Addresses one DISCOVER may find bound by another instance (sharing the store) before it
 * gives up; each one found is remembered, so a later DISCOVER does not ask about it again.
 */
const STORE_LOOKUPS = 32;

const classified = new WeakMap<DhcpPacket, ClientClass>();
/** Classifies a request once, however many events and boot decisions ask. */
function classOf(req: DhcpPacket): ClientClass {
  let c = classified.get(req);
  if (!c) classified.set(req, (c = classifyClient(req)));
  return c;
}

function event(type: DhcpEvent['type'], req: DhcpPacket, mac: string, extra: Partial<DhcpEvent> = {}): DhcpEvent {
  const c = classOf(req);
  return { type, mode: 'full', mac, arch: c.arch, ...(c.isIpxe ? { ipxe: true } : {}), ...extra };
}

const dropped = (why: string, events: DhcpEvent[] = []): HandlerResult => ({ drop: why, events });

/** The client's link: ours, or a relay's that lies in our subnet (the only pool we have). */
function onOurSubnet(req: DhcpPacket, ctx: FullModeContext): boolean {
  return req.giaddr === '0.0.0.0' || sameSubnet(req.giaddr, ctx.serverIp, ctx.network.subnetMask);
}

export async function handleFullMode(req: DhcpPacket, ctx: FullModeContext): Promise<HandlerResult> {
  const mac = clientMac(req);
  if (!mac) return dropped(`hardware type ${req.htype}/${req.hlen} is not Ethernet`);
  if (!onOurSubnet(req, ctx)) return dropped(`relayed from ${req.giaddr}, a subnet this server has no pool for`);
  switch (req.options.messageType) {
    case MessageType.DISCOVER:
      return discover(req, mac, ctx);
    case MessageType.REQUEST:
      return request(req, mac, ctx);
    case MessageType.RELEASE:
      return release(req, mac, ctx);
    case MessageType.DECLINE:
      return decline(req, mac, ctx);
    case MessageType.INFORM:
      return inform(req, mac, ctx);
    default:
      return dropped(`message type ${req.options.messageType} is not for a server`);
  }
}

async function chooseAddress(req: DhcpPacket, mac: Mac, ctx: FullModeContext): Promise<string | undefined> {
  const skip = new Set<string>();
  let probesFailed = 0;
  for (let lookups = 0; lookups < STORE_LOOKUPS && probesFailed < PROBE_ATTEMPTS; lookups++) {
    const ip = ctx.pool.choose(mac, req.options.requestedIp, skip);
    if (!ip) return undefined;
    ctx.pool.hold(ip, mac); // reserve before the (slow) lookups so a parallel DISCOVER skips it
    if (!(await ctx.pool.freeInStore(ip, mac))) {
      ctx.logger.info({ ip, mac }, 'address is bound by another instance (shared lease store); not offering it');
      skip.add(ip);
      continue;
    }
    const mine = ctx.pool.entryAt(ip)?.state === 'bound';
    if (!ctx.probeAddressInUse || mine || !(await ctx.probeAddressInUse(ip))) return ip;
    ctx.logger.warn({ ip, mac }, 'address answered a probe although free in the pool; marking it bad');
    await ctx.pool.markBad(ip);
    skip.add(ip);
    probesFailed++;
  }
  return undefined;
}

const EXHAUSTION_WARNING_INTERVAL_MS = 60_000;
const lastExhaustionWarning = new WeakMap<LeasePool, number>();

/** Warns at most once a minute per pool: a DISCOVER storm must not become a log storm. */
function warnExhausted(ctx: FullModeContext, mac: string): void {
  const now = Date.now();
  if (now - (lastExhaustionWarning.get(ctx.pool) ?? -Infinity) < EXHAUSTION_WARNING_INTERVAL_MS) return;
  lastExhaustionWarning.set(ctx.pool, now);
  const { size, inUse } = ctx.pool.usage();
  ctx.logger.warn({ mac, size, inUse }, 'DHCP pool exhausted: no address to offer');
}

async function withBootFor(reply: DhcpPacket, req: DhcpPacket, mac: Mac, ctx: FullModeContext): Promise<string | undefined> {
  const boot = await ctx.bootPolicy(classOf(req), mac, req);
  if (boot) withBoot(reply, boot, ctx.serverIp);
  return boot?.bootfile;
}

async function discover(req: DhcpPacket, mac: Mac, ctx: FullModeContext): Promise<HandlerResult> {
  const events = [event('discover', req, mac)];
  const ip = await chooseAddress(req, mac, ctx);
  if (!ip) {
    warnExhausted(ctx, mac);
    return dropped('pool exhausted', [...events, event('dropped', req, mac, { reason: 'pool exhausted' })]);
  }
  const offer = replyTo(req, MessageType.OFFER, ctx.serverIp);
  offer.yiaddr = ip;
  withLeaseTimes(offer, ctx.leaseSeconds);
  withNetwork(offer, ctx.network);
  const bootfile = await withBootFor(offer, req, mac, ctx);
  return { reply: offer, events: [...events, event('offer', req, mac, { ip, bootfile })] };
}

/** Which address the REQUEST is about and whether we must answer if we know nothing of it. */
function requestedAddress(req: DhcpPacket): { ip: string; silentIfUnknown: boolean } | undefined {
  switch (requestState(req)) {
    case 'selecting':
      return { ip: req.options.requestedIp!, silentIfUnknown: false };
    case 'init-reboot':
      // RFC 2131 4.3.2: no record of the client -> MUST remain silent.
      return { ip: req.options.requestedIp!, silentIfUnknown: true };
    case 'renewing':
      return { ip: req.ciaddr, silentIfUnknown: false };
    case 'invalid':
      return undefined;
  }
}

async function request(req: DhcpPacket, mac: Mac, ctx: FullModeContext): Promise<HandlerResult> {
  if (!isForUs(req, ctx.serverIp)) {
    // The client took another server's offer: free ours now (RFC 2131 3.1 step 4).
    ctx.pool.dropOffer(mac);
    return dropped(`REQUEST for server ${req.options.serverId}`);
  }
  const want = requestedAddress(req);
  if (!want) return dropped('REQUEST fits no RFC 2131 4.3.2 client state');
  const nak = (why: string): HandlerResult => ({ reply: nakTo(req, ctx.serverIp, why), events: [event('nak', req, mac, { ip: want.ip, reason: why })] });
  if (!sameSubnet(want.ip, ctx.serverIp, ctx.network.subnetMask)) return nak(`${want.ip} is not on this network`);
  const entry = ctx.pool.entryAt(want.ip);
  const known = entry !== undefined && entry.mac === mac && entry.state !== 'declined';
  const refused = ctx.pool.refusal(want.ip, mac);
  if (refused) return nak(refused);
  if (requestState(req) === 'selecting' && !known) return nak(`no offer of ${want.ip} is held for ${mac}`);
  if (!known && want.silentIfUnknown) return dropped(`INIT-REBOOT for ${want.ip}, which this server has no record of`);
  const bound = await ctx.pool.bind(want.ip, mac, ctx.leaseSeconds, req.options.hostName);
  if (!bound.ok) {
    const holder = bound.holder && { holder: bound.holder.mac || '(declined)', holderState: bound.holder.state, until: new Date(bound.holder.expiresAt).toISOString() };
    ctx.logger.warn({ ip: want.ip, mac, ...holder }, `DHCPNAK: ${bound.reason}`);
    return nak(bound.reason);
  }
  const ack = replyTo(req, MessageType.ACK, ctx.serverIp);
  ack.yiaddr = want.ip;
  ack.ciaddr = req.ciaddr;
  withLeaseTimes(ack, ctx.leaseSeconds);
  withNetwork(ack, ctx.network);
  const bootfile = await withBootFor(ack, req, mac, ctx);
  return { reply: ack, events: [event('request', req, mac, { ip: want.ip }), event('ack', req, mac, { ip: want.ip, bootfile })] };
}

async function release(req: DhcpPacket, mac: Mac, ctx: FullModeContext): Promise<HandlerResult> {
  if (!isForUs(req, ctx.serverIp)) return dropped('RELEASE for another server');
  if (!(await ctx.pool.release(req.ciaddr, mac))) return dropped(`RELEASE of ${req.ciaddr}, not leased to ${mac}`);
  return { events: [event('release', req, mac, { ip: req.ciaddr })] };
}

async function decline(req: DhcpPacket, mac: Mac, ctx: FullModeContext): Promise<HandlerResult> {
  const ip = req.options.requestedIp;
  if (!isForUs(req, ctx.serverIp) || !ip) return dropped('DECLINE for another server or without option 50');
  if (ctx.pool.entryAt(ip)?.mac !== mac) return dropped(`DECLINE of ${ip}, not given to ${mac}`);
  await ctx.pool.markBad(ip);
  ctx.logger.warn({ ip, mac }, 'client declined an address: something else uses it');
  return { events: [event('decline', req, mac, { ip })] };
}

/** INFORM: configuration only, no yiaddr and no lease time (RFC 2131 3.4, 4.3.5). */
async function inform(req: DhcpPacket, mac: Mac, ctx: FullModeContext): Promise<HandlerResult> {
  if (req.ciaddr === '0.0.0.0') return dropped('INFORM without ciaddr');
  const ack = replyTo(req, MessageType.ACK, ctx.serverIp);
  ack.ciaddr = req.ciaddr;
  withNetwork(ack, ctx.network);
  const bootfile = await withBootFor(ack, req, mac, ctx);
  return { reply: ack, events: [event('inform', req, mac, { ip: req.ciaddr, bootfile })] };
}
