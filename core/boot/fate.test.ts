import { describe, expect, it } from 'vitest';
import type { Hardware } from '../model/hardware.ts';
import { lifecycleStates } from '../model/lifecycle.ts';
import { bootFate, nextActionFor } from './fate.ts';

const hw = (state: string, wf?: string) => ({ status: { state, currentWorkflow: wf } }) as unknown as Hardware;

describe('boot fate follows DESIGN.md §2', () => {
  it.each([
    [undefined, 'discovery'],
    [hw('Discovered'), 'discovery'],
    [hw('Registered'), 'discovery'],
    [hw('Assigned', 'w'), 'imaging'],
    [hw('Assigned'), 'discovery'],
    [hw('Provisioning', 'w'), 'imaging'],
    [hw('Ready', 'w'), 'local'],
    [hw('Error', 'w'), 'discovery'],
  ])('%j → %s', (h, kind) => {
    expect(bootFate(h as Hardware | undefined).kind).toBe(kind);
  });
});

describe('the iPXE script and the agent get the same answer', () => {
  const agentFor = { discovery: 'wait', imaging: 'run', local: 'boot-local' } as const;
  it.each(lifecycleStates.flatMap((s) => [[s, 'wf-1'], [s, undefined]] as const))('%s (workflow %s)', (state, wf) => {
    const machine = hw(state, wf);
    const script = bootFate(machine);
    const next = nextActionFor(machine);
    expect(next.action).toBe(agentFor[script.kind]);
    if (script.kind === 'imaging') expect(next).toEqual({ action: 'run', workflow: script.workflow });
  });
});
