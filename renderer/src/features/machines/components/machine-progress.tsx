import type { Hardware } from '../../../../../core/model/hardware.ts';
import { ProgressBar } from '../../../shared/ui/progress-bar.tsx';
import { currentAction, isFailed, workflowPercent } from '../../../shared/workflow-progress.ts';
import { formatDuration } from '../../../shared/format.ts';
import { useMachineWorkflow } from '../hooks/use-machine.ts';

/** The bar plus one line of words: which action, how far, how long to go. */
export function MachineProgress({ hw, quietWhenIdle }: { hw: Hardware; quietWhenIdle?: boolean }) {
  const wf = useMachineWorkflow(hw.metadata.name);
  const state = hw.status?.state ?? 'Discovered';
  if (!wf || (state !== 'Assigned' && state !== 'Provisioning' && state !== 'Error' && state !== 'Ready')) {
    return quietWhenIdle ? null : <span className="muted" aria-label="no workflow">—</span>;
  }
  const pct = workflowPercent(wf);
  const action = currentAction(wf);
  const failed = isFailed(wf) || state === 'Error';
  const done = wf.status?.phase === 'Succeeded';
  const label = failed
    ? `Failed at ${action?.name ?? 'start'}`
    : done
      ? 'Done'
      : action
        ? `${action.name}${action.etaSeconds ? ` · ${formatDuration(action.etaSeconds)} left` : ''}`
        : 'Waiting for boot';
  return (
    <div className="progress-cell">
      <ProgressBar
        percent={pct}
        label={`${hw.spec.displayName ?? hw.metadata.name} provisioning progress`}
        tone={failed ? 'error' : done ? 'done' : 'normal'}
      />
      <span className={`progress-text${failed ? ' text-error' : ''}`}>
        {pct !== undefined && !failed && !done ? `${Math.round(pct)}% · ` : ''}
        {label}
      </span>
    </div>
  );
}
