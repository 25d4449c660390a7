/**
 * The decisions the first-run screen makes from GET /api/v1/readiness and
 * /api/v1/network/interfaces (their shapes: core/contract/readiness.ts).
 */
import type { HostInterface, Readiness, ReadinessFact } from '../../../../core/contract/readiness.ts';
import type { DhcpMode } from '../../../../core/contract/settings.ts';

export type { DhcpMode, HostInterface, Readiness, ReadinessFact };

export interface DhcpProbeResult {
  found: boolean;
  servers: { serverId: string; offeredAddress?: string }[];
  error?: string;
}

/** Interfaces worth offering first: real links with an IPv4 address, the uplink and loopback last. */
export function orderInterfaces(list: HostInterface[]): HostInterface[] {
  const rank = (i: HostInterface) => (i.addresses.some((a) => a.internal) ? 3 : i.defaultRoute ? 2 : ipv4Of(i) ? 0 : 1);
  return [...list].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

export const ipv4Of = (i: HostInterface) => i.addresses.find((a) => a.family === 'IPv4');

/** "10.78.0.1/24": the address with its prefix length, as `ip addr` shows it. */
export function cidrOf(a: { address: string; netmask: string }): string {
  const bits = a.netmask.split('.').reduce((n, octet) => n + (Number(octet) >>> 0).toString(2).split('1').length - 1, 0);
  return `${a.address}/${bits}`;
}

/**
 * What the screen selects when it opens: the interface already in the settings, unless that
 * is the one carrying the default route (serving PXE on the uplink is the mistake this
 * screen exists to prevent, so it is never preselected, not even when saved before).
 */
export function initialChoice(list: HostInterface[], saved: string | undefined): string {
  const current = list.find((i) => i.name === saved);
  return current && !current.defaultRoute ? current.name : '';
}

/** Which DHCP mode the control plane will run on the chosen interface, in words, given the last probe of it. */
export function modeToBeUsed(mode: DhcpMode, probe: DhcpProbeResult | undefined): { mode: DhcpMode; text: string; warning?: string } {
  if (mode === 'off') return { mode, text: 'DHCP off: machines boot only if another DHCP server sends them to this laptop.' };
  if (probe?.error) return { mode, text: `${label(mode)} (the probe could not run: ${probe.error})` };
  const others = probe?.servers.map((s) => s.serverId).join(', ');
  if (mode === 'full') {
    if (probe?.found) return { mode: 'proxy', text: `Proxy DHCP: another DHCP server answers here (${others}), so Dragonfly gives boot information only and hands out no addresses.` };
    return { mode, text: probe ? 'Full DHCP: no other DHCP server answered, so Dragonfly hands out addresses from its range.' : 'Full DHCP, unless a check finds another DHCP server here (then proxy).' };
  }
  if (!probe) return { mode, text: 'Proxy DHCP: boot information only; the network\u2019s own DHCP server hands out the addresses.' };
  if (probe.found) return { mode, text: `Proxy DHCP beside the DHCP server that answers here (${others}): it hands out the addresses, Dragonfly the boot information.` };
  return {
    mode,
    text: 'Proxy DHCP: boot information only.',
    warning: 'No other DHCP server answered here, so machines would get no address. Choose full DHCP with an address range in Network settings.',
  };
}

const label = (mode: DhcpMode) => (mode === 'full' ? 'Full DHCP' : mode === 'proxy' ? 'Proxy DHCP' : 'DHCP off');
