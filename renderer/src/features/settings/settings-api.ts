import { api } from '../../shared/api-client.ts';
import { fromServer, toServer, type DhcpProbeResult, type NetworkInterface, type NetworkSettings, type ServerNetworkSettings } from './network-settings.ts';

export const getNetwork = async () => fromServer(await api<ServerNetworkSettings>('GET', '/api/v1/settings/network'));
export const putNetwork = async (s: NetworkSettings) => fromServer(await api<ServerNetworkSettings>('PUT', '/api/v1/settings/network', toServer(s)));
export const getInterfaces = () => api<NetworkInterface[]>('GET', '/api/v1/network/interfaces');
export const probeDhcp = (iface: string) => api<DhcpProbeResult & { error?: string }>('POST', '/api/v1/network/probe-dhcp', { interface: iface });
