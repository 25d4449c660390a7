/**
 * Where a magic packet goes: the subnet-directed broadcast of the chosen interface
 * (RFC 919 section 7 / RFC 922: host part all ones), computed from its IPv4 address and
 * netmask. Sending to 255.255.255.255 instead would leave by whichever interface the
 * routing table picks, which on a laptop is rarely the provisioning network. Pure.
 */
import type { NetworkInterfaceInfo } from 'node:os';
import { invalid } from '../../shared/errors.ts';

export function subnetBroadcast(address: string, netmask: string): string {
  const a = ipv4ToInt(address);
  const m = ipv4ToInt(netmask);
  return intToIpv4((a | ~m) >>> 0);
}

/** The broadcast address of interface `name` in a table shaped like os.networkInterfaces(). */
export function interfaceBroadcast(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>, name: string): { address: string; broadcast: string } {
  const entries = interfaces[name];
  if (!entries) {
    throw invalid(`no network interface "${name}" (have: ${Object.keys(interfaces).join(', ') || 'none'})`);
  }
  const v4 = entries.find((e) => e.family === 'IPv4' && !e.internal);
  if (!v4) throw invalid(`interface "${name}" has no IPv4 address to compute a broadcast address from`);
  return { address: v4.address, broadcast: subnetBroadcast(v4.address, v4.netmask) };
}

function ipv4ToInt(s: string): number {
  const parts = s.split('.');
  const nums = parts.map(Number);
  if (parts.length !== 4 || nums.some((n, i) => !/^\d{1,3}$/.test(parts[i]) || n > 255)) {
    throw invalid(`"${s}" is not an IPv4 address`);
  }
  return ((nums[0] << 24) | (nums[1] << 16) | (nums[2] << 8) | nums[3]) >>> 0;
}

function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
