import { readFileSync, readdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { HostInterface } from '../contract/readiness.ts';

export type { HostInterface };

export interface HostNetworkSources {
  /** Interface name → addresses (Node's os.networkInterfaces()). */
  addresses: () => NodeJS.Dict<Array<{ address: string; netmask: string; family: string | number; mac: string; internal: boolean }>>;
  /** Names of every interface, with or without addresses (Linux: /sys/class/net). */
  names: () => string[];
  /** Contents of /sys/class/net/NAME/FILE, or undefined. */
  sysfs: (name: string, file: string) => string | undefined;
  /** /proc/net/route, or undefined where there is none. */
  routeTable: () => string | undefined;
}

const readOr = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

export const linuxSources: HostNetworkSources = {
  addresses: () => networkInterfaces(),
  names: () => {
    try {
      return readdirSync('/sys/class/net');
    } catch {
      return [];
    }
  },
  sysfs: (name, file) => readOr(`/sys/class/net/${name}/${file}`)?.trim(),
  routeTable: () => readOr('/proc/net/route'),
};

/**
 * Interfaces holding an IPv4 default route: lines of /proc/net/route whose destination and
 * mask are both 00000000 (the kernel prints them in hex, host byte order).
 */
export function defaultRouteInterfaces(routeTable: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const line of (routeTable ?? '').split('\n').slice(1)) {
    const [iface, dest, , , , , , mask] = line.trim().split(/\s+/);
    if (iface && dest === '00000000' && mask === '00000000') out.add(iface);
  }
  return out;
}

/** IFF_UP, bit 0 of /sys/class/net/NAME/flags (linux/if.h). */
const IFF_UP = 0x1;

function linkOf(name: string, src: HostNetworkSources, hasAddresses: boolean): { up: boolean; linkState: string } {
  const operstate = src.sysfs(name, 'operstate');
  // No sysfs (macOS, Windows): Node lists only configured interfaces, so call them up.
  if (operstate === undefined) return { up: hasAddresses, linkState: 'unknown' };
  const flags = Number.parseInt(src.sysfs(name, 'flags') ?? '0', 16);
  // Loopback and some virtual links report "unknown" while working; IFF_UP decides then.
  const up = operstate === 'up' || (operstate === 'unknown' && (flags & IFF_UP) !== 0);
  return { up, linkState: operstate };
}

/** Every interface of this host with its addresses, link state and whether it is the uplink. */
export function listHostInterfaces(src: HostNetworkSources = linuxSources): HostInterface[] {
  const byName = src.addresses();
  const names = [...new Set([...Object.keys(byName), ...src.names()])].sort();
  const uplinks = defaultRouteInterfaces(src.routeTable());
  return names.map((name) => {
    const addrs = byName[name] ?? [];
    return {
      name,
      mac: addrs[0]?.mac ?? src.sysfs(name, 'address'),
      ...linkOf(name, src, addrs.length > 0),
      defaultRoute: uplinks.has(name),
      addresses: addrs.map((a) => ({ address: a.address, netmask: a.netmask, family: String(a.family === 4 ? 'IPv4' : a.family === 6 ? 'IPv6' : a.family), internal: a.internal })),
    };
  });
}
