/** RFC 2131 decisions as small named functions, each returning a union the server acts on. */
import { BROADCAST_FLAG, type DhcpPacket } from './codec.ts';
import { MessageType } from './options/message.ts';

const ZERO = '0.0.0.0';

export type ReplyDestination =
  /** giaddr set: answer the relay agent on the server port (RFC 2131 4.1, 4.3.2). */
  | { kind: 'relay'; address: string; port: 67 }
  /** Client already owns ciaddr (RENEWING, REBINDING, INFORM): plain unicast. */
  | { kind: 'unicast'; address: string; port: 68 }
  /** Broadcast flag set, or a DHCPNAK without relay (RFC 2131 4.1 "always broadcast"). */
  | { kind: 'broadcast'; address: '255.255.255.255'; port: 68 }
  /**
   * RFC 2131 4.1 wants unicast to chaddr/yiaddr here, which needs an ARP entry the client
   * cannot answer yet. Userspace cannot insert one, so the server broadcasts instead, which
   * the same paragraph allows ("If unicasting is not possible, the message MAY be sent as an
   * IP broadcast").
   */
  | { kind: 'hardware-unicast'; address: string; port: 68 };

export function replyDestination(request: DhcpPacket, reply: DhcpPacket): ReplyDestination {
  if (request.giaddr !== ZERO) return { kind: 'relay', address: request.giaddr, port: 67 };
  if (reply.options.messageType === MessageType.NAK) return { kind: 'broadcast', address: '255.255.255.255', port: 68 };
  if (request.ciaddr !== ZERO) return { kind: 'unicast', address: request.ciaddr, port: 68 };
  if (request.flags & BROADCAST_FLAG) return { kind: 'broadcast', address: '255.255.255.255', port: 68 };
  return { kind: 'hardware-unicast', address: reply.yiaddr, port: 68 };
}

/**
 * A REQUEST (or DECLINE/RELEASE) naming another server in option 54 is that server's business:
 * the client chose someone else's offer (RFC 2131 3.1 step 3, 4.3.2).
 */
export function isForUs(request: DhcpPacket, serverId: string): boolean {
  const named = request.options.serverId;
  return named === undefined || named === serverId;
}

/** Client state a DHCPREQUEST was sent from (RFC 2131 4.3.2). */
export type RequestState = 'selecting' | 'init-reboot' | 'renewing' | 'invalid';

export function requestState(request: DhcpPacket): RequestState {
  const o = request.options;
  if (o.serverId !== undefined) return o.requestedIp !== undefined && request.ciaddr === ZERO ? 'selecting' : 'invalid';
  if (o.requestedIp !== undefined && request.ciaddr === ZERO) return 'init-reboot';
  // Some clients fill option 50 while renewing; ciaddr is what they own, so it wins.
  // RENEWING (unicast) and REBINDING (broadcast) look the same to a socket that cannot see
  // the destination address; both are answered the same way.
  return request.ciaddr !== ZERO ? 'renewing' : 'invalid';
}
