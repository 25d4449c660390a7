import type { ActionStatus, Workflow } from '../../../core/model/workflow.ts';
import { formatBytes } from './format.ts';

/** Where a machine's image bytes came from (rack fan-out, docs/FANOUT.md); undefined when the agent did not say. */
export function sourcesText(a: Pick<ActionStatus, 'bytesFromPeers' | 'bytesFromServer'>): string | undefined {
  if (a.bytesFromPeers === undefined && a.bytesFromServer === undefined) return undefined;
  return `${formatBytes(a.bytesFromPeers ?? 0)} from peers · ${formatBytes(a.bytesFromServer ?? 0)} from this computer`;
}

/** The rack's overall write rate, bytes/s: each running action's bytes over its time so far, summed; undefined when nothing moves. */
export function rackRate(workflows: Iterable<Pick<Workflow, 'status'>>, nowMs: number): number | undefined {
  let rate = 0;
  let any = false;
  for (const wf of workflows) {
    for (const a of wf.status?.actions ?? []) {
      if (a.phase !== 'Running' || !a.bytesDone || !a.startedAt) continue;
      const seconds = (nowMs - Date.parse(a.startedAt)) / 1000;
      if (!(seconds > 0)) continue;
      rate += a.bytesDone / seconds;
      any = true;
    }
  }
  return any ? rate : undefined;
}
