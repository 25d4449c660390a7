import { AWAITING_APPROVAL, isAwaitingApproval, type Hardware } from '../model/hardware.ts';
import { appendHistory } from '../model/boot-history.ts';
import { transition } from '../model/lifecycle.ts';
import { DragonflyError } from '../shared/errors.ts';
import { mutate } from '../store/mutate.ts';
import type { Store } from '../store/store.ts';

/** Marks a machine as held in Discovered until approved (it keeps its facts). */
export function holdForApproval(hw: Hardware): void {
  const status = (hw.status ??= { state: 'Discovered' });
  const message = `enrolment needs approval: POST /api/v1/hardware/${hw.metadata.name}/approve`;
  status.conditions = [
    ...(status.conditions ?? []).filter((c) => c.type !== AWAITING_APPROVAL),
    { type: AWAITING_APPROVAL, status: 'True', reason: 'EnrolmentApprove', message, lastTransitionTime: new Date().toISOString() },
  ];
  appendHistory(hw, 'enrolment', 'awaiting approval');
}

/** The operator's approval: the machine becomes Registered and may be assigned. */
export async function approveMachine(store: Store, name: string): Promise<Hardware> {
  return mutate<Hardware>(store, 'Hardware', name, (hw) => {
    if (!isAwaitingApproval(hw)) throw new DragonflyError('DF_ERR_CONFLICT', `machine ${name} is not awaiting approval`);
    const status = hw.status!;
    status.conditions = (status.conditions ?? []).filter((c) => c.type !== AWAITING_APPROVAL);
    status.state = transition(status.state, 'registered');
    appendHistory(hw, 'enrolment', 'approved by operator');
    return hw;
  });
}
