import { useEffect, useMemo, useState } from 'react';
import type { Workflow } from '../../../../../core/model/workflow.ts';
import { useAppStore } from '../../../app/store.ts';
import { isFailed, isFinished } from '../../../shared/workflow-progress.ts';
import { WorkflowCard } from './workflow-card.tsx';
import { rackRate } from '../../../shared/fanout-progress.ts';
import { formatBytes } from '../../../shared/format.ts';

type Show = 'active' | 'failed' | 'all';

/** Failed first (they need a person), then running, then the rest; newest first within each. */
export function orderWorkflows(list: Workflow[], show: Show): Workflow[] {
  const rank = (wf: Workflow) => (isFailed(wf) ? 0 : !isFinished(wf) ? 1 : 2);
  return list
    .filter((wf) => (show === 'all' ? true : show === 'failed' ? isFailed(wf) : !isFinished(wf) || isFailed(wf)))
    .sort((a, b) => rank(a) - rank(b) || (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));
}

const PAGE = 50;

export function ProvisioningView() {
  const byName = useAppStore((s) => s.workflows.byName);
  const [show, setShow] = useState<Show>('active');
  const [limit, setLimit] = useState(PAGE);
  const list = useMemo(() => orderWorkflows([...byName.values()], show), [byName, show]);
  const counts = useMemo(() => {
    const all = [...byName.values()];
    return { active: all.filter((w) => !isFinished(w)).length, failed: all.filter(isFailed).length, all: all.length };
  }, [byName]);
  return (
    <section className="provisioning-view" aria-label="Provisioning">
      <div className="toolbar">
        <RackRate workflows={byName} />
        <div className="segmented" role="group" aria-label="Which workflows">
          {(['active', 'failed', 'all'] as const).map((s) => (
            <button key={s} type="button" aria-pressed={show === s} onClick={() => setShow(s)}>
              {s === 'active' ? `In progress (${counts.active})` : s === 'failed' ? `Failed (${counts.failed})` : `All (${counts.all})`}
            </button>
          ))}
        </div>
      </div>
      {list.length === 0 ? (
        <div className="empty">
          <h2>{show === 'failed' ? 'Nothing has failed' : 'Nothing is provisioning'}</h2>
          <p>Drag a template onto machines in the Machines view to start.</p>
        </div>
      ) : (
        <div className="workflow-list">
          {list.slice(0, limit).map((wf) => (
            <WorkflowCard key={wf.metadata.name} wf={wf} />
          ))}
          {list.length > limit && (
            <button type="button" onClick={() => setLimit(limit + PAGE)}>
              Show {Math.min(PAGE, list.length - limit)} more of {list.length - limit}
            </button>
          )}
        </div>
      )}
    </section>
  );
}

/** The rack's overall image rate (every running machine's bytes over its time so far), on a 2-second clock. */
function RackRate({ workflows }: { workflows: ReadonlyMap<string, Workflow> }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 2000);
    return () => clearInterval(t);
  }, []);
  const rate = rackRate(workflows.values(), now);
  if (rate === undefined) return null;
  return <span className="small muted" aria-label="Rack rate">Rack: {formatBytes(rate)}/s</span>;
}
