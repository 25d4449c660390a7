import { describe, expect, it } from 'vitest';
import { lifecycleEvents, lifecycleStates, nextState, transition, type LifecycleEvent, type LifecycleState } from './lifecycle.ts';
import { isDragonflyError } from '../shared/errors.ts';

// The whole table, written out independently of the implementation: every (state, event)
// pair not listed here must be refused.
const legal: Array<[LifecycleState, LifecycleEvent, LifecycleState]> = [
  ['Discovered', 'registered', 'Registered'],
  ['Discovered', 'assignedDeclared', 'Assigned'],
  ['Registered', 'registered', 'Registered'],
  ['Registered', 'assigned', 'Assigned'],
  ['Registered', 'expectationsFailed', 'Error'],
  ['Assigned', 'registered', 'Assigned'],
  ['Assigned', 'started', 'Provisioning'],
  ['Assigned', 'failed', 'Error'],
  ['Assigned', 'cancelled', 'Registered'],
  ['Assigned', 'cancelledDeclared', 'Discovered'],
  ['Provisioning', 'registered', 'Provisioning'],
  ['Provisioning', 'started', 'Provisioning'],
  ['Provisioning', 'succeeded', 'Ready'],
  ['Provisioning', 'failed', 'Error'],
  ['Provisioning', 'cancelled', 'Registered'],
  ['Ready', 'registered', 'Ready'],
  ['Ready', 'reimageConfirmed', 'Assigned'],
  ['Error', 'registered', 'Error'],
  ['Error', 'retried', 'Assigned'],
  ['Error', 'markedReady', 'Ready'],
  ['Error', 'cancelled', 'Registered'],
  ['Error', 'reimageConfirmed', 'Assigned'],
];

describe('lifecycle state machine', () => {
  for (const state of lifecycleStates) {
    for (const event of lifecycleEvents) {
      const row = legal.find(([s, e]) => s === state && e === event);
      it(`${state} --${event}--> ${row ? row[2] : 'refused'}`, () => {
        if (row) {
          expect(transition(state, event)).toBe(row[2]);
        } else {
          expect(nextState(state, event)).toBeUndefined();
          let err: unknown;
          try {
            transition(state, event);
          } catch (e) {
            err = e;
          }
          expect(isDragonflyError(err, 'DF_ERR_ILLEGAL_TRANSITION')).toBe(true);
          expect((err as Error).message).toContain(state);
          expect((err as Error).message).toContain(event);
        }
      });
    }
  }

  it('never lets an ordinary assignment reimage a Ready machine', () => {
    expect(nextState('Ready', 'assigned')).toBeUndefined();
  });

  it('covers the happy path Discovery -> Registration -> Assignment -> Provisioning -> Ready', () => {
    let s: LifecycleState = 'Discovered';
    for (const e of ['registered', 'assigned', 'started', 'succeeded'] as const) s = transition(s, e);
    expect(s).toBe('Ready');
  });
});
