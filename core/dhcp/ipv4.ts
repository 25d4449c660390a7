/** IPv4 addresses as dotted quads on the API, as 32-bit unsigned integers for arithmetic. */

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new Error(`"${ip}" is not an IPv4 address`);
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (!/^\d{1,3}$/.test(p) || v > 255) throw new Error(`"${ip}" is not an IPv4 address`);
    n = n * 256 + v;
  }
  return n;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

export function isIpv4(s: string): boolean {
  return /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s) && s.split('.').every((p) => Number(p) <= 255);
}

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
