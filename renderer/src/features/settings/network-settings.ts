/** The settings form and its checks; the shapes on the wire are core/contract/settings.ts. */
import type { DhcpMode, FanoutMode, NetworkSettings as ServerNetworkSettings } from '../../../../core/contract/settings.ts';
import { isIpv4 } from '../../../../core/shared/ipv4.ts';

export type { DhcpMode, ServerNetworkSettings };

/** As the form holds it: optional server fields filled with '' (see fromServer/toServer). */
export interface NetworkSettings {
  interface: string;
  dhcpMode: DhcpMode;
  range: { start: string; end: string };
  router: string;
  dns: string[];
  leaseSeconds: number;
  tftpPort: number;
  httpPort: number;
  /** Rack fan-out: absent on the server means on. */
  fanout: FanoutMode;
}

export function fromServer(s: ServerNetworkSettings): NetworkSettings {
  return { ...s, interface: s.interface ?? '', range: s.range ?? { start: '', end: '' }, router: s.router ?? '', dns: s.dns ?? [], fanout: s.fanout ?? 'on' };
}

/** Empty optional fields are left out rather than sent as "" (which the server would reject as not an address). */
export function toServer(s: NetworkSettings): ServerNetworkSettings {
  const { interface: iface, range, router, ...rest } = s;
  return {
    ...rest,
    ...(iface ? { interface: iface } : {}),
    ...(range.start || range.end ? { range } : {}),
    ...(router ? { router } : {}),
  };
}

export interface NetworkInterface {
  name: string;
  addresses: { address: string; netmask: string; family: string | number; internal?: boolean }[];
  mac?: string;
  up: boolean;
}

export interface DhcpProbeResult {
  found: boolean;
  servers: { serverId: string; offeredAddress?: string }[];
  /** Set when the control plane could not probe at all (then `found` means nothing). */
  error?: string;
}

function ipToNumber(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

/**
 * Checks the form before it goes to the server, so the operator sees the field at fault
 * next to it; the server validates again and its words win.
 */
export function networkFormProblems(s: NetworkSettings): Partial<Record<'interface' | 'range' | 'router' | 'dns' | 'leaseSeconds', string>> {
  const out: Partial<Record<'interface' | 'range' | 'router' | 'dns' | 'leaseSeconds', string>> = {};
  if (s.dhcpMode !== 'off' && !s.interface) out.interface = 'Choose the interface that faces the machines.';
  if (s.dhcpMode === 'full') {
    if (!isIpv4(s.range.start) || !isIpv4(s.range.end)) out.range = 'Range start and end must be IPv4 addresses.';
    else if (ipToNumber(s.range.start) > ipToNumber(s.range.end)) out.range = 'Range start must not be after its end.';
    if (s.router && !isIpv4(s.router)) out.router = 'Router must be an IPv4 address (or empty).';
    if (s.dns.some((d) => !isIpv4(d))) out.dns = 'Every DNS server must be an IPv4 address.';
    if (!(s.leaseSeconds > 0)) out.leaseSeconds = 'Lease time must be a positive number of seconds.';
  }
  return out;
}

function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/**
 * A starting point for full DHCP on an interface: .100 to .200 of its subnet (or less on a
 * small one). Only a suggestion: the operator sees and can change it before saving.
 */
export function suggestRange(address: string, netmask: string): { start: string; end: string } | undefined {
  if (!isIpv4(address) || !isIpv4(netmask)) return undefined;
  const mask = ipToNumber(netmask) >>> 0;
  const size = (~mask >>> 0) + 1;
  if (size < 8) return undefined;
  const net = (ipToNumber(address) & mask) >>> 0;
  const first = size >= 256 ? 100 : Math.floor(size / 4);
  const last = Math.min(200, size - 2);
  return { start: numberToIp(net + first), end: numberToIp(net + last) };
}
