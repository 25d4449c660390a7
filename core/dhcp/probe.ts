/**
 * Is there already a DHCP server on this interface? Sends one DISCOVER from port 68 and
 * collects OFFERs until the timeout (DESIGN.md section 9: before leasing addresses, look
 * for an existing server and prefer proxy mode if one answers).
 */
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { macFromBytes, parseMac } from '../shared/mac.ts';
import { interfaceIpv4 } from './bind-to-interface.ts';
import { decodeDhcp, DecodeError, encodeDhcp, BOOTREPLY } from './codec.ts';
import { MessageType } from './options/message.ts';
import { nodeSocketFactory, type Remote, type SocketFactory } from './sockets.ts';
import { clientPacket } from './client-messages.ts';

export interface ExistingDhcpOffer {
  /** Option 54 of the OFFER (falls back to the sender's address). */
  serverId: string;
  /** Address the offer came from. */
  from: string;
  /** Address it offered (0.0.0.0 for a proxyDHCP offer). */
  yiaddr: string;
}

export interface ProbeOptions {
  socketFactory?: SocketFactory;
  /** MAC to put in chaddr. Default: the interface's own MAC. */
  mac?: string;
  ports?: { server?: number; client?: number };
}

function interfaceMac(iface: string): string {
  try {
    return parseMac(readFileSync(`/sys/class/net/${iface}/address`, 'utf8').trim());
  } catch {
    return parseMac(interfaceIpv4(iface)?.mac ?? macFromBytes(new Uint8Array(6)));
  }
}

/** Resolves with every distinct server that OFFERed within timeoutMs (empty: none found). */
export async function probeExistingDhcp(iface: string, timeoutMs: number, opts: ProbeOptions = {}): Promise<ExistingDhcpOffer[]> {
  const xid = randomInt(1, 0xffffffff);
  const offers = new Map<string, ExistingDhcpOffer>();
  const onMessage = (data: Uint8Array, from: Remote) => {
    const p = decodeDhcp(data);
    if (p instanceof DecodeError || p.op !== BOOTREPLY || p.xid !== xid || p.options.messageType !== MessageType.OFFER) return;
    const serverId = p.options.serverId ?? from.address;
    if (!offers.has(serverId)) offers.set(serverId, { serverId, from: from.address, yiaddr: p.yiaddr });
  };
  const factory = opts.socketFactory ?? nodeSocketFactory;
  const sock = await factory({ port: opts.ports?.client ?? 68, iface, onMessage });
  try {
    const discover = clientPacket(opts.mac ?? interfaceMac(iface), { messageType: MessageType.DISCOVER, parameterRequestList: [1, 3, 6, 54] }, { xid });
    await sock.send(encodeDhcp(discover), opts.ports?.server ?? 67, '255.255.255.255');
    await new Promise((r) => setTimeout(r, timeoutMs));
  } finally {
    await sock.close();
  }
  return [...offers.values()];
}
