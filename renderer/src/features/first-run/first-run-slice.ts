import type { SliceCreator } from '../../shared/slice.ts';
import type { DhcpProbeResult, HostInterface, Readiness } from './first-run-facts.ts';

export interface FirstRunSlice {
  /** Last answer of GET /api/v1/readiness: can machines boot, and what is missing. */
  readiness: Readiness | null;
  hostInterfaces: HostInterface[];
  /** Probe results per interface name, so switching back and forth keeps what was found. */
  dhcpProbes: Record<string, DhcpProbeResult>;
  setReadiness: (r: Readiness) => void;
  setHostInterfaces: (list: HostInterface[]) => void;
  setDhcpProbeOf: (iface: string, result: DhcpProbeResult) => void;
}

export const createFirstRunSlice: SliceCreator<FirstRunSlice> = (set) => ({
  readiness: null,
  hostInterfaces: [],
  dhcpProbes: {},
  setReadiness: (readiness) => set({ readiness }),
  setHostInterfaces: (hostInterfaces) => set({ hostInterfaces }),
  setDhcpProbeOf: (iface, result) => set((s) => ({ dhcpProbes: { ...s.dhcpProbes, [iface]: result } })),
});
