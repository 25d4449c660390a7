import { DragonflyError } from '../shared/errors.ts';

/**
 * The machine lifecycle (DESIGN.md §1) as one pure function. Every module that moves a
 * machine asks `transition`; none re-implements the table.
 */
export const lifecycleStates = ['Discovered', 'Registered', 'Assigned', 'Provisioning', 'Ready', 'Error'] as const;
export type LifecycleState = (typeof lifecycleStates)[number];
/** Where every machine starts, however it came to be known (PXE boot, API, import). */
export const initialState: LifecycleState = 'Discovered';

export const lifecycleEvents = [
  'registered', // the agent reported its hardware
  'assigned', // an operator assigned a template (workflow created)
  'reimageConfirmed', // an operator explicitly asked to reimage a Ready machine
  'started', // the agent began the workflow
  'succeeded', // the last action finished
  'failed', // an action failed or timed out
  'retried', // an operator asked to retry after an error
  'markedReady', // an operator resolved an error by hand: the machine is fine as it is
  'cancelled', // an operator withdrew the assignment
  'expectationsFailed', // a rule's expected parts are missing (inventory/rules.ts): stop before any workflow
  'assignedDeclared', // a template was assigned to a declared machine that never booted: it is powered on over its BMC to network-boot
  'cancelledDeclared', // that assignment was withdrawn before the machine ever registered: it is declared again, not Registered
] as const;
export type LifecycleEvent = (typeof lifecycleEvents)[number];

type Table = Record<LifecycleState, Partial<Record<LifecycleEvent, LifecycleState>>>;

const table: Table = {
  Discovered: { registered: 'Registered', assignedDeclared: 'Assigned' },
  Registered: { registered: 'Registered', assigned: 'Assigned', expectationsFailed: 'Error' },
  // The agent re-registers after every reboot, so registration never moves a machine back.
  Assigned: { registered: 'Assigned', started: 'Provisioning', failed: 'Error', cancelled: 'Registered', cancelledDeclared: 'Discovered' },
  Provisioning: { registered: 'Provisioning', started: 'Provisioning', succeeded: 'Ready', failed: 'Error', cancelled: 'Registered' },
  // A Ready machine is never reimaged by an ordinary assignment: only by a confirmed reimage.
  Ready: { registered: 'Ready', reimageConfirmed: 'Assigned' },
  Error: { registered: 'Error', retried: 'Assigned', markedReady: 'Ready', cancelled: 'Registered', reimageConfirmed: 'Assigned' },
};

export function nextState(state: LifecycleState, event: LifecycleEvent): LifecycleState | undefined {
  return table[state][event];
}

/** Like nextState, but an illegal transition is an error that names both sides. */
export function transition(state: LifecycleState, event: LifecycleEvent): LifecycleState {
  const next = nextState(state, event);
  if (next === undefined) {
    const allowed = Object.keys(table[state]).join(', ') || 'none';
    throw new DragonflyError(
      'DF_ERR_ILLEGAL_TRANSITION',
      `a machine in state ${state} cannot take event "${event}" (allowed: ${allowed})`,
      { state, event },
    );
  }
  return next;
}
