/**
 * The table of options the codec understands, keyed by the field name they get in
 * DhcpOptions. Options not listed here are kept as raw bytes (DhcpPacket.unknownOptions).
 */
import * as addr from './addresses.ts';
import * as id from './client-identity.ts';
import { ipxeOptions, type IpxeOptions } from './ipxe.ts';
import * as times from './lease-times.ts';
import * as msg from './message.ts';
import type { OptionCodec } from './option-codec.ts';
import { vendorSpecific, type VendorSpecific } from './pxe-vendor.ts';
import { relayAgentInfo, type RelayAgentInfo } from './relay-agent.ts';
import * as text from './text.ts';
import { userClass, type UserClass } from './user-class.ts';

/** Typed DHCP options. Every field is optional; the comment names the option code. */
export interface DhcpOptions {
  subnetMask?: string; // 1
  routers?: string[]; // 3
  dnsServers?: string[]; // 6
  hostName?: string; // 12
  domainName?: string; // 15
  broadcastAddress?: string; // 28
  vendorSpecific?: VendorSpecific; // 43
  requestedIp?: string; // 50
  leaseSeconds?: number; // 51
  /** Decoded only: the encoder never overloads and never writes 52. */
  overload?: number; // 52
  messageType?: number; // 53
  serverId?: string; // 54
  parameterRequestList?: number[]; // 55
  message?: string; // 56
  maxMessageSize?: number; // 57
  renewalSeconds?: number; // 58
  rebindingSeconds?: number; // 59
  vendorClass?: string; // 60
  clientId?: id.ClientId; // 61
  tftpServerName?: string; // 66
  bootfileName?: string; // 67
  userClass?: UserClass; // 77
  relayAgentInfo?: RelayAgentInfo; // 82
  clientArch?: number[]; // 93
  clientNdi?: id.ClientNdi; // 94
  clientUuid?: id.ClientUuid; // 97
  ipxe?: IpxeOptions; // 175
}

export type OptionKey = keyof DhcpOptions;

type Table = { [K in OptionKey]-?: OptionCodec<NonNullable<DhcpOptions[K]>> };

export const optionTable: Table = {
  subnetMask: addr.subnetMask,
  routers: addr.routers,
  dnsServers: addr.dnsServers,
  hostName: text.hostName,
  domainName: text.domainName,
  broadcastAddress: addr.broadcastAddress,
  vendorSpecific,
  requestedIp: addr.requestedIp,
  leaseSeconds: times.leaseSeconds,
  overload: msg.overload,
  messageType: msg.messageType,
  serverId: addr.serverId,
  parameterRequestList: msg.parameterRequestList,
  message: text.message,
  maxMessageSize: msg.maxMessageSize,
  renewalSeconds: times.renewalSeconds,
  rebindingSeconds: times.rebindingSeconds,
  vendorClass: text.vendorClass,
  clientId: id.clientId,
  tftpServerName: text.tftpServerName,
  bootfileName: text.bootfileName,
  userClass,
  relayAgentInfo,
  clientArch: id.clientArch,
  clientNdi: id.clientNdi,
  clientUuid: id.clientUuid,
  ipxe: ipxeOptions,
};

export const keyByCode = new Map<number, OptionKey>(
  (Object.keys(optionTable) as OptionKey[]).map((k) => [optionTable[k].code, k]),
);
