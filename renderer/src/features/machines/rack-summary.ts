import type { Hardware } from '../../../../core/model/hardware.ts';
import type { LifecycleState } from '../../../../core/model/lifecycle.ts';

/**
 * The rack at a glance (issue 17): how far each machine got. A machine is "checking" once it is
 * Assigned (its agent checks parts, and burn-in would run, before imaging starts) and
 * "imaging" while Provisioning; Discovered and Registered machines wait for a decision.
 */
export type RackPhase = 'discovered' | 'checking' | 'imaging' | 'ready' | 'failed';

export const rackPhases: readonly { phase: RackPhase; label: string }[] = [
  { phase: 'discovered', label: 'Discovered' },
  { phase: 'checking', label: 'Checking' },
  { phase: 'imaging', label: 'Imaging' },
  { phase: 'ready', label: 'Ready' },
  { phase: 'failed', label: 'Failed' },
];

const phaseOfState: Record<LifecycleState, RackPhase> = {
  Discovered: 'discovered',
  Registered: 'discovered',
  Assigned: 'checking',
  Provisioning: 'imaging',
  Ready: 'ready',
  Error: 'failed',
};

export interface RackSummary {
  counts: Record<RackPhase, number>;
  failed: { name: string; label: string; reason: string }[];
}

export function rackSummary(machines: Iterable<Hardware>): RackSummary {
  const counts: Record<RackPhase, number> = { discovered: 0, checking: 0, imaging: 0, ready: 0, failed: 0 };
  const failed: RackSummary['failed'] = [];
  for (const hw of machines) {
    const phase = phaseOfState[hw.status?.state ?? 'Discovered'];
    counts[phase] += 1;
    if (phase === 'failed') failed.push({ name: hw.metadata.name, label: hw.spec.displayName ?? hw.metadata.name, reason: hw.status?.message ?? 'no reason recorded' });
  }
  failed.sort((a, b) => a.label.localeCompare(b.label));
  return { counts, failed };
}
