/**
 * Which `ComputerSystem.Reset` ResetType(s) carry out a driver operation, given the values the
 * BMC advertises in `ResetType@Redfish.AllowableValues` (Redfish ComputerSystem schema,
 * ResetType enum). Pure: a plan or a reason, no I/O.
 */

export type PowerOperation = 'on' | 'off' | 'softOff' | 'cycle' | 'reset';

/** A plan is one Reset, or a hard off followed by an on when the BMC has no PowerCycle. */
export type ResetPlan =
  | { kind: 'single'; resetType: string }
  | { kind: 'offThenOn'; offType: string; onType: string };

export type ResetPlanResult = { ok: true; plan: ResetPlan } | { ok: false; reason: string };

/**
 * Preferred ResetType values per operation, best first. PushPowerButton is left out on
 * purpose: it toggles, so its effect depends on a state we may have read stale.
 */
export const resetPreferences: Record<PowerOperation, readonly string[]> = {
  on: ['On', 'ForceOn'],
  off: ['ForceOff'],
  softOff: ['GracefulShutdown'],
  cycle: ['PowerCycle'],
  reset: ['ForceRestart', 'GracefulRestart'],
};

/**
 * `allowed` undefined means the BMC advertised nothing; DSP0266 then lets the client send any
 * value of the enum, so the first preference is used.
 */
export function planReset(op: PowerOperation, allowed: readonly string[] | undefined): ResetPlanResult {
  const pick = (prefs: readonly string[]) => (allowed === undefined ? prefs[0] : prefs.find((p) => allowed.includes(p)));
  const direct = pick(resetPreferences[op]);
  if (direct !== undefined) return { ok: true, plan: { kind: 'single', resetType: direct } };
  if (op === 'cycle') {
    const offType = pick(resetPreferences.off);
    const onType = pick(resetPreferences.on);
    if (offType !== undefined && onType !== undefined) return { ok: true, plan: { kind: 'offThenOn', offType, onType } };
  }
  const wanted = op === 'cycle' ? 'PowerCycle or ForceOff+On' : resetPreferences[op].join(' or ');
  return {
    ok: false,
    reason: `the BMC allows ResetType ${JSON.stringify(allowed ?? [])}, none of which does "${op}" (want ${wanted})`,
  };
}

/** The PowerState a ResetType leaves behind on success, when it is certain. */
export function powerStateAfter(resetType: string): 'On' | 'Off' | undefined {
  if (resetType === 'ForceOff' || resetType === 'GracefulShutdown') return 'Off';
  if (['On', 'ForceOn', 'ForceRestart', 'GracefulRestart', 'PowerCycle'].includes(resetType)) return 'On';
  return undefined;
}
