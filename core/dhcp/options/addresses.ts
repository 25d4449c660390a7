/**
 * Options whose value is one IPv4 address or a list of them (RFC 2132 sections 3.3, 3.5,
 * 3.8, 5.3, 9.1, 9.7): subnet mask (1), router (3), DNS (6), broadcast address (28),
 * requested IP (50), server identifier (54).
 */
import { ipFromBytes, ipToBytes } from '../ipv4.ts';
import { OptionError, wantLength, wantMultiple, type OptionCodec } from './option-codec.ts';

function single(code: number, name: string): OptionCodec<string> {
  return {
    code,
    name,
    decode: (data) => wantLength(data, 4) ?? ipFromBytes(data),
    encode: (ip) => ipToBytes(ip),
  };
}

function list(code: number, name: string): OptionCodec<string[]> {
  return {
    code,
    name,
    decode(data): string[] | OptionError {
      const bad = wantMultiple(data, 4);
      if (bad) return bad;
      const out: string[] = [];
      for (let i = 0; i < data.length; i += 4) out.push(ipFromBytes(data, i));
      return out;
    },
    encode(ips) {
      const out = new Uint8Array(ips.length * 4);
      ips.forEach((ip, i) => out.set(ipToBytes(ip), i * 4));
      return out;
    },
  };
}

export const subnetMask = single(1, 'subnet mask');
export const routers = list(3, 'router');
export const dnsServers = list(6, 'domain name server');
export const broadcastAddress = single(28, 'broadcast address');
export const requestedIp = single(50, 'requested IP address');
export const serverId = single(54, 'server identifier');
