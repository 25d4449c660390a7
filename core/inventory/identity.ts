import type { Hardware, HardwareFacts, IdentityRecord, MachineIdentity } from '../model/hardware.ts';
import type { Condition } from '../model/meta.ts';
import { appendHistory } from '../model/boot-history.ts';
import { DragonflyError } from '../shared/errors.ts';
import { mutate } from '../store/mutate.ts';
import type { Store } from '../store/store.ts';

export const IDENTITY_CONFLICT = 'IdentityConflict';

/** The identity a registration offers. */
export function identityOf(facts: HardwareFacts): MachineIdentity {
  const uuid = facts.dmi.uuid?.trim().toLowerCase() || undefined;
  const serial = facts.dmi.serial?.trim() || undefined;
  const diskSerials = [...new Set(facts.disks.map((d) => d.serial?.trim()).filter((s): s is string => !!s))].sort();
  return { ...(uuid ? { uuid } : {}), ...(serial ? { serial } : {}), diskSerials };
}

/** The machine's pinned identity; a machine registered before pinning existed is pinned by its stored facts. */
export function pinnedIdentity(hw: Hardware): MachineIdentity | undefined {
  return hw.status?.identity?.pinned ?? (hw.spec.facts ? identityOf(hw.spec.facts) : undefined);
}

export type IdentityVerdict =
  | { kind: 'same' }
  | { kind: 'disks-changed'; added: string[]; removed: string[] }
  | { kind: 'conflict'; reason: string };

/**
 * The rule. System UUID and serial live on the mainboard: a different one is a different
 * machine (or someone pretending), so it needs the operator. Disks are replaced in normal
 * life, so a changed disk serial is a timeline warning, not a refusal. Only when the firmware
 * gives neither UUID nor serial are the disks the identity: then at least one must remain.
 */
export function compareIdentity(pinned: MachineIdentity, offered: MachineIdentity): IdentityVerdict {
  for (const field of ['uuid', 'serial'] as const) {
    if (pinned[field] !== undefined && pinned[field] !== offered[field]) {
      return { kind: 'conflict', reason: `system ${field} ${offered[field] ?? '(none)'} differs from the pinned ${pinned[field]}` };
    }
  }
  const added = offered.diskSerials.filter((s) => !pinned.diskSerials.includes(s));
  const removed = pinned.diskSerials.filter((s) => !offered.diskSerials.includes(s));
  if (!added.length && !removed.length) return { kind: 'same' };
  const noDmi = pinned.uuid === undefined && pinned.serial === undefined;
  if (noDmi && removed.length === pinned.diskSerials.length) {
    return { kind: 'conflict', reason: `none of the pinned disk serials (${pinned.diskSerials.join(', ')}) is present and the firmware reports no UUID or serial` };
  }
  return { kind: 'disks-changed', added, removed };
}

export function sameIdentity(a: MachineIdentity | undefined, b: MachineIdentity): boolean {
  return !!a && a.uuid === b.uuid && a.serial === b.serial && a.diskSerials.join('\n') === b.diskSerials.join('\n');
}

export function describeIdentity(i: MachineIdentity): string {
  return `uuid ${i.uuid ?? '(none)'}, serial ${i.serial ?? '(none)'}, disks [${i.diskSerials.join(', ')}]`;
}

export function hasIdentityConflict(hw: Hardware): boolean {
  return (hw.status?.conditions ?? []).some((c) => c.type === IDENTITY_CONFLICT && c.status === 'True');
}

function setConflictCondition(hw: Hardware, condition: Condition | undefined): void {
  const status = (hw.status ??= { state: 'Discovered' });
  status.conditions = (status.conditions ?? []).filter((c) => c.type !== IDENTITY_CONFLICT);
  if (condition) status.conditions.push(condition);
}

/**
 * Records a conflicting registration on the machine (condition + timeline) and says whether it
 * is news: the same refused or already-pending identity retried by the agent is not.
 */
export async function recordIdentityConflict(store: Store, name: string, offered: MachineIdentity, reason: string): Promise<boolean> {
  let news = false;
  await mutate<Hardware>(store, 'Hardware', name, (hw) => {
    const record = hw.status?.identity ?? pinRecord(pinnedIdentity(hw) ?? offered);
    if (sameIdentity(record.refused, offered) || sameIdentity(record.offered, offered)) return hw;
    news = true;
    hw.status = { ...(hw.status ?? { state: 'Discovered' }), identity: { ...record, offered } };
    const message = `a registration for this machine's MAC offered another identity: ${reason}; accept or refuse it`;
    setConflictCondition(hw, { type: IDENTITY_CONFLICT, status: 'True', reason: 'IdentityChanged', message, lastTransitionTime: new Date().toISOString() });
    appendHistory(hw, 'identity', `conflict refused: ${reason}`);
    return hw;
  });
  return news;
}

export function pinRecord(pinned: MachineIdentity): IdentityRecord {
  return { pinned, pinnedAt: new Date().toISOString() };
}

export type IdentityDecision = 'accept' | 'refuse';

/**
 * The operator's answer to a conflict. Accept pins the offered identity (the agent's next retry
 * registers); refuse keeps the pinned one and stops that identity from raising the conflict again.
 */
export async function resolveIdentityConflict(store: Store, name: string, decision: IdentityDecision): Promise<Hardware> {
  return mutate<Hardware>(store, 'Hardware', name, (hw) => {
    const record = hw.status?.identity;
    if (!record?.offered) throw new DragonflyError('DF_ERR_CONFLICT', `machine ${name} has no identity conflict to resolve`);
    const { offered, refused: _r, ...rest } = record;
    const next: IdentityRecord =
      decision === 'accept' ? pinRecord(offered) : { ...rest, refused: offered };
    hw.status = { ...hw.status!, identity: next };
    setConflictCondition(hw, undefined);
    appendHistory(hw, 'identity', `${decision === 'accept' ? 'accepted' : 'refused'} by operator: ${describeIdentity(offered)}`);
    return hw;
  });
}
