import type { ActionStatus } from '../model/workflow.ts';

/** Percent and ETA of a byte-counting action, from when it started; pure. */
export function computeProgress(a: ActionStatus, bytesDone: number, bytesTotal: number | undefined, nowMs: number): Partial<ActionStatus> {
  const out: Partial<ActionStatus> = { bytesDone };
  if (bytesTotal && bytesTotal > 0) {
    out.bytesTotal = bytesTotal;
    out.percent = Math.min(100, Math.round((bytesDone / bytesTotal) * 1000) / 10);
    const started = a.startedAt ? Date.parse(a.startedAt) : nowMs;
    const elapsed = (nowMs - started) / 1000;
    if (bytesDone > 0 && elapsed > 0) {
      const rate = bytesDone / elapsed;
      out.etaSeconds = Math.max(0, Math.round((bytesTotal - bytesDone) / rate));
    }
  }
  return out;
}
