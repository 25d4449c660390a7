/** Builders for client messages, used by tests, the probe and the fuzz bench. */
import { macToBytes, parseMac } from '../shared/mac.ts';
import { BOOTREQUEST, BROADCAST_FLAG, emptyPacket, type DhcpOptions, type DhcpPacket } from './codec.ts';

export function clientPacket(mac: string, options: DhcpOptions, over: Partial<DhcpPacket> = {}): DhcpPacket {
  const p = emptyPacket(BOOTREQUEST);
  p.chaddr.set(macToBytes(parseMac(mac)));
  p.xid = over.xid ?? Math.floor(Math.random() * 0xffffffff);
  p.flags = BROADCAST_FLAG;
  return { ...p, ...over, options };
}

/** A DISCOVER as a PXE ROM of the given architecture sends it (RFC 4578 options). */
export function pxeDiscover(mac: string, arch: number, extra: DhcpOptions = {}, over: Partial<DhcpPacket> = {}): DhcpPacket {
  const archText = String(arch).padStart(5, '0');
  return clientPacket(mac, {
    messageType: 1,
    vendorClass: `PXEClient:Arch:${archText}:UNDI:002001`,
    clientArch: [arch],
    clientNdi: { type: 1, major: 2, minor: 1 },
    clientUuid: { type: 0, uuid: Uint8Array.from({ length: 16 }, (_, i) => i) },
    parameterRequestList: [1, 3, 6, 43, 54, 60, 66, 67, 97],
    ...extra,
  }, over);
}
