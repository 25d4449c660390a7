import { useState } from 'react';
import type { Workflow, ActionStatus } from '../../../../../core/model/workflow.ts';
import { useAppStore } from '../../../app/store.ts';
import { ProgressBar } from '../../../shared/ui/progress-bar.tsx';
import { BootTimeline } from '../../../shared/ui/boot-timeline.tsx';
import { StateBadge } from '../../../shared/ui/state-badge.tsx';
import { describeError } from '../../../shared/api-client.ts';
import { formatBytes, formatDuration, formatTime } from '../../../shared/format.ts';
import { actionFraction, currentAction, isFailed, isFinished, workflowPercent } from '../../../shared/workflow-progress.ts';
import { resolveMachine, retryWorkflow } from '../assign-api.ts';
import { sourcesText } from '../../../shared/fanout-progress.ts';

/** One machine's provisioning: overall bar, every action as a step, the error in words, Retry. */
export function WorkflowCard({ wf, showTimeline = true }: { wf: Workflow; showTimeline?: boolean }) {
  const hw = useAppStore((s) => s.hardware.byName.get(wf.spec.hardwareRef));
  const open = useAppStore((s) => s.openMachine);
  const pct = workflowPercent(wf);
  const failed = isFailed(wf);
  const done = wf.status?.phase === 'Succeeded';
  const machineLabel = hw?.spec.displayName ?? wf.spec.hardwareRef;
  // Operator actions act on the machine, so only its current workflow's card offers them.
  const current = hw?.status?.currentWorkflow === wf.metadata.name;
  return (
    <article className={`workflow-card${failed ? ' is-failed' : ''}`} aria-label={`${machineLabel} — ${wf.spec.templateRef}`} data-workflow={wf.metadata.name}>
      <header className="workflow-head">
        <div>
          <button type="button" className="link-button machine-name" onClick={() => open(wf.spec.hardwareRef)}>
            {machineLabel}
          </button>
          <span className="muted small">
            {' '}
            · {wf.spec.templateRef} · {wf.metadata.name}
          </span>
        </div>
        <div className="workflow-phase">
          {hw && <StateBadge state={hw.status?.state ?? 'Discovered'} />}
          <span className={`phase phase-${(wf.status?.phase ?? 'Pending').toLowerCase()}`}>{wf.status?.phase ?? 'Pending'}</span>
        </div>
      </header>
      <div className="workflow-progress">
        <ProgressBar percent={pct} size="large" label={`${machineLabel} overall progress`} tone={failed ? 'error' : done ? 'done' : 'normal'} />
        <span className="progress-number">{pct === undefined ? '0%' : `${Math.round(pct)}%`}</span>
      </div>
      {failed && <FailureBox wf={wf} current={current} machineLabel={machineLabel} />}
      {current && !isFinished(wf) && <CancelControl wf={wf} machineLabel={machineLabel} />}
      <ol className="steps" aria-label="Actions">
        {(wf.status?.actions ?? []).map((a, i) => (
          <ActionStep key={a.name + i} a={a} />
        ))}
      </ol>
      {showTimeline && (
        <details className="timeline-details">
          <summary>Boot timeline ({hw?.status?.bootHistory?.length ?? 0} steps)</summary>
          <BootTimeline entries={hw?.status?.bootHistory} />
        </details>
      )}
    </article>
  );
}

const phaseIcon: Record<string, string> = { Succeeded: '✓', Failed: '✕', TimedOut: '⏱', Running: '▶', Pending: '○', Skipped: '–', Cancelled: '⊘' };

function ActionStep({ a }: { a: ActionStatus }) {
  const pct = Math.round(actionFraction(a) * 100);
  return (
    <li className={`step step-${a.phase.toLowerCase()}`}>
      <span className="step-icon" aria-hidden="true">
        {phaseIcon[a.phase] ?? '○'}
      </span>
      <span className="step-name">{a.name}</span>
      <span className="muted small">{a.type}</span>
      <span className="step-phase small">
        <span className="visually-hidden">status </span>
        {a.phase}
      </span>
      {a.phase === 'Running' && (
        <span className="step-detail small">
          {pct}%{a.bytesTotal ? ` · ${formatBytes(a.bytesDone)} of ${formatBytes(a.bytesTotal)}` : ''}
          {a.etaSeconds ? ` · ${formatDuration(a.etaSeconds)} left` : ''}
        </span>
      )}
      {a.phase !== 'Running' && a.finishedAt && <span className="step-detail small muted">{formatTime(a.finishedAt)}</span>}
      {sourcesText(a) && <span className="step-detail small muted">{sourcesText(a)}</span>}
      {a.message && <span className={`step-message small${a.phase === 'Failed' || a.phase === 'TimedOut' ? ' text-error' : ' muted'}`}>{a.message}</span>}
    </li>
  );
}

/** Runs one operator request at a time, keeping its error in words; a workflow answer updates the cache at once. */
function useOperatorAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const upsert = useAppStore((s) => s.upsertWorkflow);
  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      const r = await fn();
      if (r && typeof r === 'object' && 'kind' in r && (r as Workflow).kind === 'Workflow') upsert(r as Workflow);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, act };
}

/** Withdraws an active assignment after a second click: the agent stops between actions, the disk may be half written. */
function CancelControl({ wf, machineLabel }: { wf: Workflow; machineLabel: string }) {
  const { busy, error, act } = useOperatorAction();
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <div className="button-row">
        <button type="button" className="quiet" onClick={() => setAsking(true)}>
          Cancel assignment…
        </button>
      </div>
    );
  }
  return (
    <div className="cancel-confirm" role="group" aria-label="Cancel assignment">
      <p className="small">
        Stop provisioning {machineLabel}? Its agent stops after the action it is running; the disk may be left half written.
      </p>
      <div className="button-row">
        <button type="button" className="danger-outline" disabled={busy} onClick={() => void act(() => resolveMachine(wf.spec.hardwareRef, 'cancel'))}>
          Cancel assignment
        </button>
        <button type="button" disabled={busy} onClick={() => setAsking(false)}>
          Keep provisioning
        </button>
      </div>
      {error && <p className="text-error">{error}</p>}
    </div>
  );
}

function FailureBox({ wf, current, machineLabel }: { wf: Workflow; current: boolean; machineLabel: string }) {
  const { busy, error, act } = useOperatorAction();
  const action = currentAction(wf);
  const reason = action?.message ?? wf.status?.error ?? 'no reason was reported';
  return (
    <div className="failure" role="alert">
      <p>
        <strong>{wf.status?.phase === 'TimedOut' ? 'Timed out' : 'Failed'}</strong>
        {action ? (
          <>
            {' '}
            at action <strong>{action.name}</strong> ({action.type})
          </>
        ) : null}
        : {reason}
      </p>
      {wf.status?.error && !wf.status.error.includes(reason) && <p className="small">{wf.status.error}</p>}
      {!current && <p className="small">No longer the workflow of {machineLabel}: nothing to retry or resolve here.</p>}
      {current && (
        <div className="button-row">
          <button type="button" className="primary" disabled={busy} onClick={() => void act(() => retryWorkflow(wf.metadata.name, 'failed'))}>
            Retry from {action?.name ?? 'failed action'}
          </button>
          <button type="button" disabled={busy} onClick={() => void act(() => retryWorkflow(wf.metadata.name, 'start'))}>
            Retry from start
          </button>
          <button type="button" className="quiet" disabled={busy} onClick={() => void act(() => resolveMachine(wf.spec.hardwareRef, 'ready'))}>
            Mark ready as is
          </button>
          <button type="button" className="quiet" disabled={busy} onClick={() => void act(() => resolveMachine(wf.spec.hardwareRef, 'cancel'))}>
            Cancel assignment
          </button>
        </div>
      )}
      {error && <p className="text-error">{error}</p>}
    </div>
  );
}
