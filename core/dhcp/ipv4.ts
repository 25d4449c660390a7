/** IPv4 addresses as dotted quads on the API, as 32-bit unsigned integers for arithmetic. */

export function ipToInt(ip: string): number {
  // Hand-rolled: this runs for every pool lookup, and split/regex showed up in profiles.
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 255) break;
      n = n * 256 + part;
      part = digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
    } else {
      dots = -1;
      break;
    }
  }
  if (dots !== 3 || digits === 0 || part > 255) throw new Error(`"${ip}" is not an IPv4 address`);
  return n * 256 + part;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

export { isIpv4 } from '../shared/ipv4.ts';

export function ipFromBytes(b: Uint8Array, at = 0): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

export function ipToBytes(ip: string): Uint8Array {
  const n = ipToInt(ip);
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

export const ZERO_IP = '0.0.0.0';
export const BROADCAST_IP = '255.255.255.255';

/** Netmask "255.255.255.0" -> 24. */
export function maskToPrefix(mask: string): number {
  const n = ipToInt(mask);
  let bits = 0;
  while (bits < 32 && (n >>> (31 - bits)) & 1) bits++;
  return bits;
}

export function prefixToMask(prefix: number): string {
  return intToIp(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
}

export function sameSubnet(a: string, b: string, mask: string): boolean {
  const m = ipToInt(mask);
  return ((ipToInt(a) & m) >>> 0) === ((ipToInt(b) & m) >>> 0);
}

export function broadcastOf(ip: string, mask: string): string {
  return intToIp((ipToInt(ip) | (~ipToInt(mask) >>> 0)) >>> 0);
}
