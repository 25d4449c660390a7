import type { Template } from '../model/template.ts';
import type { Workflow } from '../model/workflow.ts';

const DEFAULT_WORKFLOW_TIMEOUT_S = 3600;
const DEFAULT_ACTION_TIMEOUT_S = 1800;

/**
 * Why a pending or running workflow is past its deadline at `nowMs`, or undefined. The
 * workflow's limit counts from its start (from its assignment while it has not started);
 * the running action's own limit from that action's start. A deleted template means the
 * defaults.
 */
export function overdueReason(wf: Workflow, tpl: Template | undefined, nowMs: number): string | undefined {
  const wfLimit = (tpl?.spec.timeoutSeconds ?? DEFAULT_WORKFLOW_TIMEOUT_S) * 1000;
  const since = Date.parse(wf.status?.startedAt ?? wf.status?.assignedAt ?? wf.metadata.creationTimestamp ?? new Date(nowMs).toISOString());
  if (nowMs - since > wfLimit) return `workflow timed out after ${Math.round(wfLimit / 1000)} s`;
  const idx = wf.status?.currentAction ?? 0;
  const a = wf.status?.actions[idx];
  if (a?.phase === 'Running' && a.startedAt) {
    const spec = tpl?.spec.actions[idx];
    const limit = (spec?.timeoutSeconds ?? tpl?.spec.actionTimeoutSeconds ?? DEFAULT_ACTION_TIMEOUT_S) * 1000;
    if (nowMs - Date.parse(a.startedAt) > limit) return `action "${a.name}" timed out after ${Math.round(limit / 1000)} s`;
  }
  return undefined;
}
