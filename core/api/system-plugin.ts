import type { FastifyInstance } from 'fastify';
import { networkInterfaces } from 'node:os';
import Type from 'typebox';
import { NetworkSettings } from '../app/network-settings.ts';

import type { ServiceHealth } from '../boot/network-services.ts';

export type { ServiceHealth };

export interface StatusReport {
  version: string;
  backend: string;
  services: Record<string, ServiceHealth>;
  counts: { byState: Record<string, number> };
}

export interface SystemDeps {
  status: () => Promise<StatusReport>;
  getSettings: () => NetworkSettings;
  putSettings: (s: unknown) => Promise<NetworkSettings>;
  probeDhcp?: (iface: string) => Promise<{ found: boolean; servers: Array<{ serverId: string; offeredAddress?: string }> }>;
}

export function listInterfaces() {
  return Object.entries(networkInterfaces()).map(([name, addrs]) => ({
    name,
    mac: addrs?.[0]?.mac,
    up: true,
    addresses: (addrs ?? []).map((a) => ({ address: a.address, netmask: a.netmask, family: a.family, internal: a.internal })),
  }));
}

export async function systemPlugin(app: FastifyInstance, deps: SystemDeps): Promise<void> {
  app.get('/healthz', { config: { access: 'public' }, schema: { tags: ['System'], summary: 'Liveness' } }, async () => ({ ok: true }));
  app.get('/api/v1/status', { schema: { tags: ['System'], summary: 'Service health, ports, privileges, counts' } }, async () => deps.status());
  app.get('/api/v1/settings/network', { schema: { tags: ['System'], summary: 'Network boot settings' } }, async () => deps.getSettings());
  app.put('/api/v1/settings/network', { schema: { tags: ['System'], summary: 'Change network boot settings (services restart)', body: NetworkSettings } }, async (req) =>
    deps.putSettings(req.body),
  );
  app.get('/api/v1/network/interfaces', { schema: { tags: ['System'], summary: 'Interfaces of this host' } }, async () => listInterfaces());
  app.post<{ Body: { interface: string } }>(
    '/api/v1/network/probe-dhcp',
    {
      schema: {
        tags: ['System'],
        summary: 'Look for another DHCP server on an interface',
        body: Type.Object({ interface: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
      },
    },
    async (req) => {
      if (!deps.probeDhcp) return { found: false, servers: [], error: 'DHCP probing is not available on this control plane' };
      return deps.probeDhcp(req.body.interface);
    },
  );
}
