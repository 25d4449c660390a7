import type { Workflow } from '../../../core/model/workflow.ts';

/** Machine name -> its newest workflow, for rows that show progress. */
export function latestWorkflowByMachine(workflows: ReadonlyMap<string, Workflow>): Map<string, Workflow> {
  const out = new Map<string, Workflow>();
  for (const wf of workflows.values()) {
    const prev = out.get(wf.spec.hardwareRef);
    if (!prev || (wf.metadata.creationTimestamp ?? '') >= (prev.metadata.creationTimestamp ?? '')) out.set(wf.spec.hardwareRef, wf);
  }
  return out;
}
