import { describe, expect, it } from 'vitest';
import { currentAction, isFailed, workflowPercent } from './workflow-progress.ts';
import { workflow } from './test-objects.ts';
import { latestWorkflowByMachine } from './workflow-index.ts';

describe('workflow progress', () => {
  it('finished actions count whole and the running one by its percent', () => {
    const wf = workflow('w', 'm', [{ phase: 'Succeeded' }, { phase: 'Running', percent: 50 }, { phase: 'Pending' }, { phase: 'Pending' }]);
    expect(workflowPercent(wf)).toBe(37.5);
    expect(currentAction(wf)?.name).toBe('a1');
  });

  it('uses bytes when the agent reports bytes but no percent', () => {
    const wf = workflow('w', 'm', [{ phase: 'Running', bytesDone: 250, bytesTotal: 1000 }]);
    expect(workflowPercent(wf)).toBe(25);
  });

  it('a failed workflow points at the failed action', () => {
    const wf = workflow('w', 'm', [{ phase: 'Succeeded' }, { phase: 'Failed', message: 'disk not found' }, { phase: 'Pending' }], 'Failed');
    expect(isFailed(wf)).toBe(true);
    expect(currentAction(wf)?.message).toBe('disk not found');
  });

  it('a succeeded workflow is 100% even if the agent skipped progress reports', () => {
    expect(workflowPercent(workflow('w', 'm', [{ phase: 'Pending' }], 'Succeeded'))).toBe(100);
  });

  it('a machine shows its newest workflow', () => {
    const old = workflow('old', 'm', []);
    const fresh = workflow('new', 'm', []);
    fresh.metadata.creationTimestamp = '2026-02-01T00:00:00Z';
    expect(latestWorkflowByMachine(new Map([['new', fresh], ['old', old]])).get('m')?.metadata.name).toBe('new');
  });
});
