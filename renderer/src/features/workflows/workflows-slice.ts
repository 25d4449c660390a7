import type { Workflow } from '../../../../core/model/workflow.ts';
import type { SliceCreator } from '../../shared/slice.ts';
import { applyEvents, cacheFromList, emptyCache, upsertObject, type ResourceCache, type WatchEvent } from '../../shared/resource-cache.ts';

/** An assignment the operator started (drag or keyboard) and has not yet confirmed. */
export interface AssignDraft {
  template: string;
  machines: string[];
}

export interface WorkflowsSlice {
  workflows: ResourceCache<Workflow>;
  assignDraft: AssignDraft | null;
  loadWorkflows: (items: Workflow[], revision: number) => void;
  applyWorkflowEvents: (events: WatchEvent<Workflow>[]) => void;
  upsertWorkflow: (wf: Workflow) => void;
  startAssign: (template: string, machines: readonly string[]) => void;
  cancelAssign: () => void;
}

export const createWorkflowsSlice: SliceCreator<WorkflowsSlice> = (set) => ({
  workflows: emptyCache<Workflow>(),
  assignDraft: null,
  loadWorkflows: (items, revision) => set({ workflows: cacheFromList(items, revision) }),
  applyWorkflowEvents: (events) => set((s) => ({ workflows: applyEvents(s.workflows, events) })),
  upsertWorkflow: (wf) => set((s) => ({ workflows: upsertObject(s.workflows, wf) })),
  startAssign: (template, machines) =>
    set({ assignDraft: machines.length ? { template, machines: [...new Set(machines)] } : null }),
  cancelAssign: () => set({ assignDraft: null }),
});
