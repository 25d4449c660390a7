/** Building reply packets from a request (RFC 2131 table 3 says which fields are copied). */
import { BOOTREPLY, BROADCAST_FLAG, type DhcpPacket } from './codec.ts';
import type { DhcpOptions } from './options/registry.ts';
import { MessageType } from './options/message.ts';
import type { BootAnswer } from './boot-policy.ts';

export function replyTo(req: DhcpPacket, messageType: number, serverId: string): DhcpPacket {
  const options: DhcpOptions = { messageType, serverId };
  // RFC 6842: echo the client identifier; RFC 3046 2.2: echo relay agent information.
  if (req.options.clientId) options.clientId = req.options.clientId;
  if (req.options.relayAgentInfo) options.relayAgentInfo = req.options.relayAgentInfo;
  return {
    op: BOOTREPLY,
    htype: req.htype,
    hlen: req.hlen,
    hops: 0,
    xid: req.xid,
    secs: 0,
    flags: req.flags,
    ciaddr: '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: req.giaddr,
    chaddr: req.chaddr.slice(),
    sname: '',
    file: '',
    options,
    unknownOptions: [],
  };
}

/** RFC 2131 4.3.2: a NAK through a relay has the broadcast bit set so the relay broadcasts it. */
export function nakTo(req: DhcpPacket, serverId: string, why: string): DhcpPacket {
  const nak = replyTo(req, MessageType.NAK, serverId);
  nak.options.message = why;
  if (req.giaddr !== '0.0.0.0') nak.flags |= BROADCAST_FLAG;
  return nak;
}

export interface NetworkOptions {
  subnetMask: string;
  broadcastAddress: string;
  routers?: string[];
  dnsServers?: string[];
  domainName?: string;
}

export function withNetwork(reply: DhcpPacket, net: NetworkOptions): void {
  const o = reply.options;
  o.subnetMask = net.subnetMask;
  o.broadcastAddress = net.broadcastAddress;
  if (net.routers?.length) o.routers = net.routers;
  if (net.dnsServers?.length) o.dnsServers = net.dnsServers;
  if (net.domainName) o.domainName = net.domainName;
}

/** Lease time plus T1 = 0.5 and T2 = 0.875 of it (RFC 2131 4.4.5 defaults). */
export function withLeaseTimes(reply: DhcpPacket, leaseSeconds: number): void {
  reply.options.leaseSeconds = leaseSeconds;
  reply.options.renewalSeconds = Math.floor(leaseSeconds / 2);
  reply.options.rebindingSeconds = Math.floor((leaseSeconds * 7) / 8);
}

export function withBoot(reply: DhcpPacket, boot: BootAnswer, serverIp: string): void {
  reply.siaddr = boot.nextServer ?? serverIp;
  // The 128-octet file field is what PXE ROMs read; longer names (URLs) go in option 67 only.
  reply.file = boot.bootfile.length < 128 ? boot.bootfile : '';
  reply.options.bootfileName = boot.bootfile;
  if (boot.tftpServerName) reply.options.tftpServerName = boot.tftpServerName;
  if (boot.vendorClass) reply.options.vendorClass = boot.vendorClass;
}
