/**
 * ProxyDHCP (PXE 2.1 section 2.2.5): boot information only, never an address. On port 67
 * we answer DISCOVERs of PXE and HTTP boot clients with an OFFER whose yiaddr is 0.0.0.0;
 * on port 4011 we ACK their REQUESTs with the boot file. Everyone else is left to the
 * network's own DHCP server.
 *
 * Firmware quirks (learned from Pixiecore's field notes):
 * - BIOS PXE ROMs follow the PXE menu: discovery control 3 (no broadcast/multicast discovery),
 *   one boot server (us), a one-item menu and a zero-timeout prompt, then ask us on 4011.
 * - Many UEFI firmwares do no boot server discovery at all and ignore a proxy offer without
 *   a boot file, so they get the file name and siaddr right in the OFFER, with option 43
 *   present carrying discovery control 8 ("use the boot file, skip discovery").
 * - Vendor class 60 "PXEClient" must be in the offer or PXE clients treat it as a plain
 *   (useless, address-less) DHCP offer; HTTP boot clients need "HTTPClient" instead.
 */
import type { BootAnswer, BootPolicy } from './boot-policy.ts';
import { classifyClient, type ClientClass } from './classify.ts';
import { clientMac, type DhcpPacket } from './codec.ts';
import type { DhcpEvent, HandlerResult } from './events.ts';
import { MessageType } from './options/message.ts';
import { DiscoveryControl, pxeSubOption, type VendorSpecific } from './options/pxe-vendor.ts';
import { replyTo, withBoot } from './replies.ts';

export interface ProxyModeContext {
  serverIp: string;
  bootPolicy: BootPolicy;
  /** Text of the one-item PXE menu shown by BIOS ROMs (default "Dragonfly"). */
  menuLabel: string;
}

/** PXE boot server type 0x8000+ is vendor-specific; any value works for a one-item menu. */
const BOOT_SERVER_TYPE = 0x8000;

function event(type: DhcpEvent['type'], mac: string, c: ClientClass, extra: Partial<DhcpEvent> = {}): DhcpEvent {
  return { type, mode: 'proxy', mac, arch: c.arch, ...(c.isIpxe ? { ipxe: true } : {}), ...extra };
}

/** BIOS ROMs that are not iPXE get the menu and come to 4011; all others boot from the offer. */
function usesBootMenu(c: ClientClass): boolean {
  return c.isPxe && !c.isIpxe && c.arch === 'bios';
}

function pxeMenu(serverIp: string, label: string): VendorSpecific {
  return {
    format: 'pxe',
    ended: true,
    items: [
      { kind: 'discovery-control', value: DiscoveryControl.DISABLE_BROADCAST | DiscoveryControl.DISABLE_MULTICAST },
      { kind: 'boot-servers', servers: [{ type: BOOT_SERVER_TYPE, ips: [serverIp] }] },
      { kind: 'boot-menu', items: [{ type: BOOT_SERVER_TYPE, description: label }] },
      { kind: 'menu-prompt', timeout: 0, prompt: label },
    ],
  };
}

const useBootfile: VendorSpecific = { format: 'pxe', ended: true, items: [{ kind: 'discovery-control', value: DiscoveryControl.USE_BOOTFILE }] };

function bootReply(req: DhcpPacket, type: number, c: ClientClass, boot: BootAnswer, ctx: ProxyModeContext): DhcpPacket {
  const reply = replyTo(req, type, ctx.serverIp);
  reply.options.vendorClass = boot.vendorClass ?? (c.isHttpClient ? 'HTTPClient' : 'PXEClient');
  if (req.options.clientUuid) reply.options.clientUuid = req.options.clientUuid; // PXE 2.1: echo 97
  return reply;
}

async function boot(req: DhcpPacket, ctx: ProxyModeContext): Promise<{ c: ClientClass; mac: string; answer?: BootAnswer } | HandlerResult> {
  const mac = clientMac(req);
  if (!mac) return { drop: 'not Ethernet', events: [] };
  const c = classifyClient(req);
  if (!c.isPxe && !c.isHttpClient) return { drop: 'not a PXE or HTTP boot client', events: [] };
  return { c, mac, answer: await ctx.bootPolicy(c, mac, req) };
}

/** Port 67: a DISCOVER from a network-boot client gets an address-less OFFER. */
export async function handleProxyDiscover(req: DhcpPacket, ctx: ProxyModeContext): Promise<HandlerResult> {
  if (req.options.messageType === MessageType.REQUEST) return requestHint(req);
  if (req.options.messageType !== MessageType.DISCOVER) return { drop: 'proxy answers only DISCOVER on port 67', events: [] };
  const b = await boot(req, ctx);
  if ('events' in b) return b;
  const { c, mac, answer } = b;
  const events = [event('discover', mac, c)];
  if (!answer) return { drop: 'boot policy gave no boot file', events: [...events, event('dropped', mac, c, { reason: 'no boot file' })] };
  const offer = bootReply(req, MessageType.OFFER, c, answer, ctx);
  if (usesBootMenu(c)) {
    offer.options.vendorSpecific = pxeMenu(ctx.serverIp, ctx.menuLabel);
  } else {
    withBoot(offer, answer, ctx.serverIp);
    if (!c.isHttpClient) offer.options.vendorSpecific = useBootfile;
  }
  return { reply: offer, events: [...events, event('offer', mac, c, { bootfile: answer.bootfile })] };
}

/**
 * A REQUEST on port 67 is the site server's to answer, but it names the address the client
 * is about to use (option 50): report it, so the TFTP fetch that follows (which only knows
 * the address) lands on the right machine's timeline. UEFI firmware told "use the boot
 * file" never comes to 4011, so this is the only place that address shows up.
 */
function requestHint(req: DhcpPacket): HandlerResult {
  const drop = 'proxy answers only DISCOVER on port 67 (REQUEST noted as an address hint)';
  const mac = clientMac(req);
  if (!mac) return { drop, events: [] };
  const c = classifyClient(req);
  const ip = req.options.requestedIp ?? (req.ciaddr !== '0.0.0.0' ? req.ciaddr : undefined);
  return { drop, events: ip && (c.isPxe || c.isHttpClient) ? [event('request', mac, c, { ip })] : [] };
}

/** Port 4011: the boot server REQUEST (PXE 2.1 2.2.6) gets an ACK with the boot file. */
export async function handleProxyRequest(req: DhcpPacket, ctx: ProxyModeContext): Promise<HandlerResult> {
  const t = req.options.messageType;
  if (t !== MessageType.REQUEST && t !== MessageType.INFORM) return { drop: 'port 4011 answers only REQUEST and INFORM', events: [] };
  const b = await boot(req, ctx);
  if ('events' in b) return b;
  const { c, mac, answer } = b;
  if (!answer) return { drop: 'boot policy gave no boot file', events: [event('dropped', mac, c, { reason: 'no boot file' })] };
  const ack = bootReply(req, MessageType.ACK, c, answer, ctx);
  ack.ciaddr = req.ciaddr;
  withBoot(ack, answer, ctx.serverIp);
  const item = pxeSubOption(req.options.vendorSpecific, 'boot-item');
  // Echo the boot item the client picked from the menu (PXE 2.1 2.2.6, option 43.71).
  if (item) ack.options.vendorSpecific = { format: 'pxe', ended: true, items: [item] };
  return { reply: ack, events: [event('request', mac, c), event('ack', mac, c, { ip: req.ciaddr, bootfile: answer.bootfile })] };
}
