import type { AgentApi } from './api.ts';

/** What a workflow runner gets from the agent loop. */
export interface WorkflowContext {
  api: AgentApi;
  /** The per-machine agent token (Bearer for every call). */
  token: string;
  say: (line: string) => void;
  /** Aborted when the control plane cancels the workflow; the runner stops before the next action. */
  signal?: AbortSignal;
}

export type WorkflowRunner = (name: string, ctx: WorkflowContext) => Promise<void>;

export const NOT_AVAILABLE = 'not available in this agent build';

/**
 * The hook the agent calls when the control plane says next.action = 'run'.
 * This build carries no actions yet (agent/actions/ will): it tells the control plane the
 * workflow failed and why, so the operator sees it instead of a workflow stuck in Pending.
 */
export const runWorkflow: WorkflowRunner = async (name, { api, token, say }) => {
  say(`workflow ${name}: ${NOT_AVAILABLE}`);
  const res = await api.workflowEvent(token, name, { action: 0, phase: 'Failed', message: NOT_AVAILABLE });
  if (!res.ok) say(`workflow ${name}: could not report the failure: ${res.reason}`);
};
