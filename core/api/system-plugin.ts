import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { NetworkSettings } from '../contract/settings.ts';
import type { AgentImageState, Readiness, ReadinessFact } from '../contract/readiness.ts';

export type { AgentImageState, Readiness, ReadinessFact };
import { EnrolmentSettings } from '../contract/enrolment.ts';
import { listHostInterfaces } from './host-interfaces.ts';
import { DragonflyError } from '../shared/errors.ts';

import type { ServiceHealth } from '../boot/network-services.ts';
import type { EnrolmentStatus } from '../boot/enrolment.ts';

export type { ServiceHealth };

export interface StatusReport {
  version: string;
  backend: string;
  services: Record<string, ServiceHealth>;
  counts: { byState: Record<string, number> };
  /** Enrolment binding and discovery caps (issue 14): what was refused, and a warning while the gate is open. */
  enrolment?: EnrolmentStatus;
}


export interface SystemDeps {
  status: () => Promise<StatusReport>;
  /** `enrolment: open | approve` (core/contract/enrolment.ts); absent: the routes answer 503. */
  enrolment?: { get: () => EnrolmentSettings; put: (s: EnrolmentSettings) => Promise<EnrolmentSettings> };
  getSettings: () => NetworkSettings;
  putSettings: (s: unknown) => Promise<NetworkSettings>;
  probeDhcp?: (iface: string) => Promise<{ found: boolean; servers: Array<{ serverId: string; offeredAddress?: string }> }>;
  readiness?: () => Readiness;
}

export async function systemPlugin(app: FastifyInstance, deps: SystemDeps): Promise<void> {
  app.get('/healthz', { config: { access: 'public' }, schema: { tags: ['System'], summary: 'Liveness' } }, async () => ({ ok: true }));
  app.get('/api/v1/status', { schema: { tags: ['System'], summary: 'Service health, ports, privileges, counts' } }, async () => deps.status());
  app.get('/api/v1/settings/network', { schema: { tags: ['System'], summary: 'Network boot settings' } }, async () => deps.getSettings());
  app.put('/api/v1/settings/network', { schema: { tags: ['System'], summary: 'Change network boot settings (services restart)', body: NetworkSettings } }, async (req) =>
    deps.putSettings(req.body),
  );
  const enrolment = () => {
    if (!deps.enrolment) throw new DragonflyError('DF_ERR_UNAVAILABLE', 'this control plane has no enrolment setting');
    return deps.enrolment;
  };
  app.get('/api/v1/settings/enrolment', { schema: { tags: ['System'], summary: 'Enrolment: open, or approve (new machines wait for an operator)' } }, async () => enrolment().get());
  app.put<{ Body: EnrolmentSettings }>('/api/v1/settings/enrolment', { schema: { tags: ['System'], summary: 'Change enrolment: open | approve', body: EnrolmentSettings } }, async (req) =>
    enrolment().put(req.body),
  );
  app.get('/api/v1/network/interfaces', { schema: { tags: ['System'], summary: 'Interfaces of this host: addresses, link state, default route' } }, async () => listHostInterfaces());
  app.get('/api/v1/readiness', { schema: { tags: ['System'], summary: 'Can machines boot: agent image, iPXE binaries, interface, DHCP mode' } }, async () => {
    if (!deps.readiness) throw new DragonflyError('DF_ERR_UNAVAILABLE', 'this control plane does not report its readiness');
    return deps.readiness();
  });
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
