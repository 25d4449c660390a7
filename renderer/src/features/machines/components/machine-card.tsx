import { memo } from 'react';
import { useAppStore } from '../../../app/store.ts';
import { StateBadge } from '../../../shared/ui/state-badge.tsx';
import { formatBytes } from '../../../shared/format.ts';
import { hardwareSummary, machineState, machineTags } from '../machine-filter.ts';
import { useMachine } from '../hooks/use-machine.ts';
import { MachineProgress } from './machine-progress.tsx';
import { IdentityBadge } from './machine-identity.tsx';
import { ApprovalBadge } from './machine-approval.tsx';
import { useMachineDrop } from './machine-drop.ts';
import type { RowProps } from './machine-row.tsx';

export const MachineCard = memo(function MachineCard({ name, index, active, onRowClick, onOpen, onAssign }: RowProps) {
  const hw = useMachine(name);
  const selected = useAppStore((s) => s.selection.selected.has(name));
  const drop = useMachineDrop(name, onAssign);
  if (!hw) return null;
  return (
    <div
      id={`machine-row-${name}`}
      role="gridcell"
      aria-selected={selected}
      aria-colindex={index + 1}
      className={`machine-card${selected ? ' is-selected' : ''}${active ? ' is-active' : ''}${drop.over ? ' is-drop-target' : ''}`}
      data-machine={name}
      onClick={(e) => onRowClick(name, e)}
      onDoubleClick={() => onOpen(name)}
      {...drop.handlers}
    >
      <div className="card-head">
        <button type="button" className="link-button machine-name" tabIndex={-1} onClick={(e) => (e.stopPropagation(), onOpen(name))}>
          {hw.spec.displayName ?? name}
        </button>
        <StateBadge state={machineState(hw)} />
        <IdentityBadge hw={hw} />
        <ApprovalBadge hw={hw} />
      </div>
      <div className="mono muted small">
        {hw.spec.macs[0]}
        {hw.status?.ipAddress ? ` · ${hw.status.ipAddress}` : ''}
      </div>
      <div className="small">{hardwareSummary(hw, formatBytes)}</div>
      <MachineProgress hw={hw} quietWhenIdle />
      <div className="card-tags">
        {machineTags(hw)
          .slice(0, 4)
          .map((t) => (
            <span key={t} className="tag">
              {t}
            </span>
          ))}
      </div>
    </div>
  );
});
