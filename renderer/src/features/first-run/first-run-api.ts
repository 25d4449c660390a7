import { api } from '../../shared/api-client.ts';
import type { DhcpMode, DhcpProbeResult, HostInterface, Readiness } from './first-run-facts.ts';

/** The settings fields this screen reads; it changes only the interface and sends the rest back as they were. */
type ServerNetworkSettings = { interface?: string; dhcpMode: DhcpMode } & Record<string, unknown>;

/** Machines the control plane knows, from the status counts. */
export const getMachineCount = async () => {
  const st = await api<{ counts?: { byState?: Record<string, number> } }>('GET', '/api/v1/status');
  return Object.values(st.counts?.byState ?? {}).reduce((a, b) => a + b, 0);
};
export const getReadiness = () => api<Readiness>('GET', '/api/v1/readiness');
export const getHostInterfaces = () => api<HostInterface[]>('GET', '/api/v1/network/interfaces');
export const getSettings = () => api<ServerNetworkSettings>('GET', '/api/v1/settings/network');
export const probeDhcpOn = (iface: string) => api<DhcpProbeResult>('POST', '/api/v1/network/probe-dhcp', { interface: iface });

/** Applies the choice through the same settings route as the Network view (DHCP and TFTP restart on it). */
export async function applyInterface(iface: string): Promise<ServerNetworkSettings> {
  const current = await getSettings();
  return api<ServerNetworkSettings>('PUT', '/api/v1/settings/network', { ...current, interface: iface });
}
