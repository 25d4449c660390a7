import { useState, type ReactNode } from 'react';
import type { Hardware } from '../../../../../core/model/hardware.ts';
import { useAppStore } from '../../../app/store.ts';
import { Dialog } from '../../../shared/ui/dialog.tsx';
import { StateBadge } from '../../../shared/ui/state-badge.tsx';
import { BootTimeline } from '../../../shared/ui/boot-timeline.tsx';
import { formatBytes, formatDateTime } from '../../../shared/format.ts';
import { machineState } from '../machine-filter.ts';
import { MachineFacts } from './machine-facts.tsx';
import { MachineTags } from './machine-tags.tsx';
import { MachineBmc } from './machine-bmc.tsx';
import { IdentityBadge, IdentityConflictPanel } from './machine-identity.tsx';
import { ApprovalBadge, ApprovalPanel } from './machine-approval.tsx';

/** Side panel for one machine; `workflowPanel` and `consolePanel` are composed in by the app (their features). */
export function MachineDetail({ workflowPanel, consolePanel }: { workflowPanel?: (machine: string) => ReactNode; consolePanel?: (machine: string) => ReactNode }) {
  const name = useAppStore((s) => s.detailMachine);
  const hw = useAppStore((s) => (s.detailMachine ? s.hardware.byName.get(s.detailMachine) : undefined));
  const close = useAppStore((s) => s.openMachine);
  if (!name || !hw) return null;
  return (
    <Dialog title={hw.spec.displayName ?? name} onClose={() => close(null)} drawer>
      <DetailHeader hw={hw} />
      <IdentityConflictPanel hw={hw} />
      <ApprovalPanel hw={hw} />
      {workflowPanel?.(name)}
      <section aria-labelledby="timeline-h">
        <h3 id="timeline-h">Boot timeline</h3>
        <BootTimeline entries={hw.status?.bootHistory} limit={30} />
      </section>
      {consolePanel?.(name)}
      <MachineFacts hw={hw} />
      <MachineTags hw={hw} />
      <MachineBmc hw={hw} />
    </Dialog>
  );
}

function DetailHeader({ hw }: { hw: Hardware }) {
  const [showAll, setShowAll] = useState(false);
  const macs = showAll ? hw.spec.macs : hw.spec.macs.slice(0, 4);
  return (
    <dl className="facts-grid">
      <dt>State</dt>
      <dd>
        <StateBadge state={machineState(hw)} /> <IdentityBadge hw={hw} /> <ApprovalBadge hw={hw} />
        {hw.status?.message && <span className="small"> {hw.status.message}</span>}
      </dd>
      <dt>Name</dt>
      <dd className="mono">{hw.metadata.name}</dd>
      <dt>MACs</dt>
      <dd className="mono">
        {macs.join(', ')}
        {hw.spec.macs.length > 4 && (
          <button type="button" className="link-button" onClick={() => setShowAll(!showAll)}>
            {showAll ? 'fewer' : `+${hw.spec.macs.length - 4} more`}
          </button>
        )}
      </dd>
      <dt>IP address</dt>
      <dd className="mono">{hw.status?.ipAddress ?? '—'}</dd>
      <dt>Last seen</dt>
      <dd>{formatDateTime(hw.status?.lastSeen)}</dd>
      <dt>Memory</dt>
      <dd>{formatBytes(hw.spec.facts?.memoryBytes)}</dd>
    </dl>
  );
}
