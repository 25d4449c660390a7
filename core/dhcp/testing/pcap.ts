/**
 * Minimal reader for classic libpcap files (not pcapng) holding Ethernet/IPv4/UDP frames:
 * enough to pull DHCP payloads out of a capture for round-trip tests.
 */
export interface UdpDatagram {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

function ip(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

export function readPcapUdp(file: Uint8Array): UdpDatagram[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = view.getUint32(0, true);
  // 0xa1b2c3d4 written little-endian (or the nanosecond variant 0xa1b23c4d).
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!little && view.getUint32(0, false) !== 0xa1b2c3d4 && view.getUint32(0, false) !== 0xa1b23c4d) {
    throw new Error(`not a pcap file (magic 0x${magic.toString(16)})`);
  }
  if (view.getUint32(20, little) !== 1) throw new Error('pcap link type is not Ethernet');
  const out: UdpDatagram[] = [];
  for (let at = 24; at + 16 <= file.length; ) {
    const capLen = view.getUint32(at + 8, little);
    const frame = file.subarray(at + 16, at + 16 + capLen);
    at += 16 + capLen;
    const udp = udpOf(frame);
    if (udp) out.push(udp);
  }
  return out;
}

function udpOf(frame: Uint8Array): UdpDatagram | undefined {
  if (frame.length < 14 || frame[12] !== 0x08 || frame[13] !== 0x00) return undefined; // IPv4 only
  const ipStart = 14;
  const ihl = (frame[ipStart] & 0x0f) * 4;
  if (frame[ipStart + 9] !== 17) return undefined; // UDP
  const totalLen = (frame[ipStart + 2] << 8) | frame[ipStart + 3];
  const u = ipStart + ihl;
  const udpLen = (frame[u + 4] << 8) | frame[u + 5];
  const end = Math.min(u + udpLen, ipStart + totalLen, frame.length);
  return {
    src: ip(frame, ipStart + 12),
    dst: ip(frame, ipStart + 16),
    srcPort: (frame[u] << 8) | frame[u + 1],
    dstPort: (frame[u + 2] << 8) | frame[u + 3],
    payload: frame.slice(u + 8, end),
  };
}
