import type { Hardware } from '../../../../../core/model/hardware.ts';
import type { Workflow } from '../../../../../core/model/workflow.ts';
import { useAppStore, type AppState } from '../../../app/store.ts';
import { latestWorkflowByMachine } from '../../../shared/workflow-index.ts';

export function useMachine(name: string): Hardware | undefined {
  return useAppStore((s) => s.hardware.byName.get(name));
}

let indexFor: ReadonlyMap<string, Workflow> | undefined;
let index = new Map<string, Workflow>();

/** Machine -> newest workflow, rebuilt once per workflow-cache change and shared by all rows. */
function workflowFor(s: AppState, machine: string): Workflow | undefined {
  const current = s.hardware.byName.get(machine)?.status?.currentWorkflow;
  if (current) {
    const wf = s.workflows.byName.get(current);
    if (wf) return wf;
  }
  if (indexFor !== s.workflows.byName) {
    index = latestWorkflowByMachine(s.workflows.byName);
    indexFor = s.workflows.byName;
  }
  return index.get(machine);
}

export function useMachineWorkflow(name: string): Workflow | undefined {
  return useAppStore((s) => workflowFor(s, name));
}
