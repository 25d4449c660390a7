import type { Workflow } from '../../../../core/model/workflow.ts';
import { api } from '../../shared/api-client.ts';

export interface AssignResult {
  machine: string;
  workflow?: string;
  error?: { code: string; message: string };
}

export function assign(template: string, machines: string[], reimage: boolean): Promise<{ results: AssignResult[] }> {
  return api('POST', '/api/v1/assign', { template, machines, reimage });
}

export function retryWorkflow(name: string, from: 'start' | 'failed'): Promise<Workflow> {
  return api('POST', `/api/v1/workflows/${encodeURIComponent(name)}/retry`, { from });
}

export function resolveMachine(name: string, as: 'ready' | 'cancel'): Promise<unknown> {
  return api('POST', `/api/v1/hardware/${encodeURIComponent(name)}/resolve`, { as });
}

/** Splits the per-machine answer into what worked and what to tell the operator, in words. */
export function summariseAssign(results: AssignResult[]): { started: string[]; failed: { machine: string; message: string }[] } {
  return {
    started: results.filter((r) => !r.error).map((r) => r.machine),
    failed: results.filter((r) => r.error).map((r) => ({ machine: r.machine, message: r.error?.message ?? 'failed' })),
  };
}

/** Which of the machines to assign are already provisioned and so need the reimage checkbox. */
export function needsReimage(states: Record<string, string | undefined>, machines: readonly string[]): string[] {
  return machines.filter((m) => states[m] === 'Ready');
}
