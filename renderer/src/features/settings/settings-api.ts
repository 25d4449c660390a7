import { api } from '../../shared/api-client.ts';
import type { DhcpProbeResult, NetworkInterface, NetworkSettings } from './network-settings.ts';

export const getNetwork = () => api<NetworkSettings>('GET', '/api/v1/settings/network');
export const putNetwork = (s: NetworkSettings) => api<NetworkSettings>('PUT', '/api/v1/settings/network', s);
export const getInterfaces = () => api<NetworkInterface[]>('GET', '/api/v1/network/interfaces');
export const probeDhcp = (iface: string) => api<DhcpProbeResult>('POST', '/api/v1/network/probe-dhcp', { interface: iface });
