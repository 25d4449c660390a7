/**
 * Ties a UDP socket bound to 0.0.0.0 to one network interface, so it receives broadcasts
 * only from that interface and its broadcasts leave only there. Node's dgram cannot do this
 * itself; the `sockopt` addon sets the integer socket option:
 * - Linux >= 5.0: SO_BINDTOIFINDEX (SOL_SOCKET=1, optname 62), value = interface index.
 * - macOS: IP_BOUND_IF (IPPROTO_IP=0, optname 25), value = interface index.
 * - Windows: no such option; bind the socket to the interface's own address instead
 *   (Windows still delivers broadcasts to it). `bindAddressFor` returns that address.
 */
import type { Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { networkInterfaces } from 'node:os';
import { DragonflyError } from '../shared/errors.ts';

const SOL_SOCKET = 1;
const SO_BINDTOIFINDEX = 62;
const IPPROTO_IP = 0;
const IP_BOUND_IF = 25;

type SetSockOpt = (socket: Socket, level: number, option: number, value: number) => void;

let setsockopt: SetSockOpt | undefined;
function loadSetSockOpt(): SetSockOpt {
  if (setsockopt) return setsockopt;
  try {
    setsockopt = (createRequire(import.meta.url)('sockopt') as { setsockopt: SetSockOpt }).setsockopt;
    return setsockopt;
  } catch (e) {
    throw new DragonflyError('DF_ERR_INTERNAL', `cannot load the sockopt addon needed to bind DHCP to an interface: ${(e as Error).message}`);
  }
}

/**
 * The kernel's index of `iface`. Linux: /sys/class/net/IFACE/ifindex. Elsewhere the scope id
 * of the interface's IPv6 link-local address, which is that same index.
 */
export function interfaceIndex(iface: string): number {
  try {
    return Number(readFileSync(`/sys/class/net/${iface}/ifindex`, 'utf8').trim());
  } catch {
    const scoped = networkInterfaces()[iface]?.find((a) => a.family === 'IPv6' && a.scopeid);
    if (scoped?.scopeid) return scoped.scopeid;
    const known = Object.keys(networkInterfaces()).join(', ');
    throw new DragonflyError('DF_ERR_NOT_FOUND', `network interface "${iface}" not found (interfaces with addresses: ${known || 'none'})`);
  }
}

/** First IPv4 address and netmask of `iface`, if it has one. */
export function interfaceIpv4(iface: string): { address: string; netmask: string; mac: string } | undefined {
  const a = networkInterfaces()[iface]?.find((x) => x.family === 'IPv4');
  return a && { address: a.address, netmask: a.netmask, mac: a.mac };
}

/** The address to bind a DHCP socket to: 0.0.0.0, except on Windows (see above). */
export function bindAddressFor(iface: string | undefined, platform: NodeJS.Platform = process.platform): string {
  if (!iface || platform !== 'win32') return '0.0.0.0';
  const a = interfaceIpv4(iface);
  if (!a) throw new DragonflyError('DF_ERR_NOT_FOUND', `interface "${iface}" has no IPv4 address to bind DHCP to`);
  return a.address;
}

/** Call after bind(). Throws a DragonflyError saying what failed and what to do. */
export function bindToInterface(socket: Socket, iface: string, platform: NodeJS.Platform = process.platform): void {
  if (platform === 'win32') return; // bound by address in bindAddressFor
  const index = interfaceIndex(iface);
  const [level, option, name] = platform === 'darwin' ? [IPPROTO_IP, IP_BOUND_IF, 'IP_BOUND_IF'] : [SOL_SOCKET, SO_BINDTOIFINDEX, 'SO_BINDTOIFINDEX'];
  if (platform !== 'linux' && platform !== 'darwin') {
    throw new DragonflyError('DF_ERR_UNAVAILABLE', `binding DHCP to an interface is not supported on ${platform}`);
  }
  try {
    loadSetSockOpt()(socket, level, option, index);
  } catch (e) {
    const hint = platform === 'linux' ? ' (SO_BINDTOIFINDEX needs Linux 5.0 or newer)' : '';
    throw new DragonflyError('DF_ERR_UNAVAILABLE', `cannot bind the DHCP socket to interface "${iface}" (index ${index}) with ${name}${hint}: ${(e as Error).message}`);
  }
}
