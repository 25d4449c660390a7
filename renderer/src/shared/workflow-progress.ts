import type { Workflow, ActionStatus } from '../../../core/model/workflow.ts';

/**
 * Overall progress of a workflow as one number for a bar: finished actions count whole,
 * the running one by its own percent (or bytes), so a 40 GB image write does not sit at 0%.
 */
export function actionFraction(a: ActionStatus): number {
  if (a.phase === 'Succeeded' || a.phase === 'Skipped') return 1;
  if (a.phase !== 'Running') return 0;
  if (typeof a.percent === 'number') return clamp(a.percent / 100);
  if (a.bytesTotal && a.bytesDone !== undefined) return clamp(a.bytesDone / a.bytesTotal);
  return 0;
}

function clamp(x: number): number {
  return Math.min(1, Math.max(0, x));
}

export function workflowPercent(wf: Pick<Workflow, 'status'> | undefined): number | undefined {
  const actions = wf?.status?.actions;
  if (!actions || actions.length === 0) return wf?.status?.phase === 'Succeeded' ? 100 : undefined;
  if (wf?.status?.phase === 'Succeeded') return 100;
  const sum = actions.reduce((acc, a) => acc + actionFraction(a), 0);
  return Math.round((sum / actions.length) * 1000) / 10;
}

/** The action a person wants to read about: the running one, else the failed one, else the next. */
export function currentAction(wf: Pick<Workflow, 'status'> | undefined): ActionStatus | undefined {
  const actions = wf?.status?.actions ?? [];
  return (
    actions.find((a) => a.phase === 'Running') ??
    actions.find((a) => a.phase === 'Failed' || a.phase === 'TimedOut') ??
    actions.find((a) => a.phase === 'Pending') ??
    actions[actions.length - 1]
  );
}

export function isFinished(wf: Pick<Workflow, 'status'> | undefined): boolean {
  const p = wf?.status?.phase;
  return p === 'Succeeded' || p === 'Failed' || p === 'TimedOut' || p === 'Cancelled';
}

export function isFailed(wf: Pick<Workflow, 'status'> | undefined): boolean {
  const p = wf?.status?.phase;
  return p === 'Failed' || p === 'TimedOut';
}
