import type { Hardware } from '../model/hardware.ts';
import type { Workflow } from '../model/workflow.ts';
import type { Store } from '../store/store.ts';

/**
 * Issue 14: an agent token is bound to one run, a workflow's attempt (a retry keeps the name
 * and counts up), so a token from a finished run cannot read or report the next one.
 */
export function runKey(wf: Workflow): string {
  return runKeyOf(wf.metadata.name, wf.status?.attempts);
}

/** The same key from a workflow's name and attempt (the agent's "run" step names both). */
export function runKeyOf(workflow: string, attempt = 1): string {
  return `${workflow}#${attempt}`;
}

/**
 * The run the machine's agent may act for now: its current workflow while Pending or Running
 * and still runnable; empty when there is none (discovery, Ready, Failed, Cancelled, timed out).
 */
export async function currentRun(store: Store, hw: Hardware, whyNotRunnable: (wf: Workflow) => Promise<string | undefined>): Promise<string> {
  const name = hw.status?.currentWorkflow;
  if (!name) return '';
  const wf = await store.get<Workflow>('Workflow', name).catch(() => undefined);
  const phase = wf?.status?.phase ?? 'Pending';
  if (!wf || (phase !== 'Pending' && phase !== 'Running') || (await whyNotRunnable(wf))) return '';
  return runKey(wf);
}
