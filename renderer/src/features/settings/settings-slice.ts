import type { SliceCreator } from '../../shared/slice.ts';
import type { DhcpProbeResult, NetworkInterface, NetworkSettings } from './network-settings.ts';

export interface SettingsSlice {
  network: NetworkSettings | null;
  interfaces: NetworkInterface[];
  /** Result of the last "is another DHCP server on this wire?" probe, per interface. */
  dhcpProbe: { interface: string; result: DhcpProbeResult } | null;
  setNetwork: (network: NetworkSettings) => void;
  setInterfaces: (interfaces: NetworkInterface[]) => void;
  setDhcpProbe: (probe: { interface: string; result: DhcpProbeResult } | null) => void;
}

export const createSettingsSlice: SliceCreator<SettingsSlice> = (set) => ({
  network: null,
  interfaces: [],
  dhcpProbe: null,
  setNetwork: (network) => set({ network }),
  setInterfaces: (interfaces) => set({ interfaces }),
  setDhcpProbe: (dhcpProbe) => set({ dhcpProbe }),
});

/** Switching to full DHCP needs a probe of the same interface that found no other server, or an override. */
export function mayEnableFullDhcp(probe: SettingsSlice['dhcpProbe'], iface: string): 'probe-first' | 'conflict' | 'ok' {
  if (!probe || probe.interface !== iface) return 'probe-first';
  // A probe that could not run proves nothing: treat it like a conflict the operator must override.
  return probe.result.found || probe.result.error ? 'conflict' : 'ok';
}
