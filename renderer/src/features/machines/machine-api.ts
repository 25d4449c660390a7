import type { Hardware, BmcRef } from '../../../../core/model/hardware.ts';
import { api } from '../../shared/api-client.ts';

const path = (name: string) => `/api/v1/hardware/${encodeURIComponent(name)}`;

export function patchTags(name: string, tags: string[]): Promise<Hardware> {
  return api<Hardware>('PATCH', path(name), { spec: { tags } });
}

export function patchBmc(name: string, bmc: BmcRef | null): Promise<Hardware> {
  return api<Hardware>('PATCH', path(name), { spec: { bmc } });
}

import type { PowerAction } from '../../../../core/contract/power.ts';

export type { PowerAction };

export function power(name: string, action: PowerAction): Promise<{ state?: string }> {
  return api<{ state?: string }>('POST', `${path(name)}/power`, { action });
}

/** Tags typed as "a, b  c" -> ["a","b","c"], deduplicated, order kept. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((t) => t.trim()).filter(Boolean))];
}

export type IdentityDecision = 'accept' | 'refuse';

/** Answers an identity conflict (core/api/operations-plugin.ts). */
export function resolveIdentity(name: string, decision: IdentityDecision): Promise<Hardware> {
  return api<Hardware>('POST', `${path(name)}/identity`, { decision });
}

/** Approves a machine awaiting approval (enrolment: approve). */
export function approveMachine(name: string): Promise<Hardware> {
  return api<Hardware>('POST', `${path(name)}/approve`);
}
