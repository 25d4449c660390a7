import { memo, type MouseEvent } from 'react';
import { useAppStore } from '../../../app/store.ts';
import { StateBadge } from '../../../shared/ui/state-badge.tsx';
import { formatBytes } from '../../../shared/format.ts';
import { hardwareSummary, machineState, machineTags } from '../machine-filter.ts';
import { useMachine } from '../hooks/use-machine.ts';
import { MachineProgress } from './machine-progress.tsx';
import { IdentityBadge } from './machine-identity.tsx';
import { ApprovalBadge } from './machine-approval.tsx';
import { useMachineDrop, type AssignHandler } from './machine-drop.ts';

export interface RowProps {
  name: string;
  index: number;
  active: boolean;
  onRowClick: (name: string, e: MouseEvent) => void;
  onOpen: (name: string) => void;
  onAssign: AssignHandler;
}

/** One machine in the table; re-renders only when this machine, its workflow or its selection changes. */
export const MachineRow = memo(function MachineRow({ name, index, active, onRowClick, onOpen, onAssign }: RowProps) {
  const hw = useMachine(name);
  const selected = useAppStore((s) => s.selection.selected.has(name));
  const toggle = useAppStore((s) => s.clickMachine);
  const drop = useMachineDrop(name, onAssign);
  if (!hw) return null;
  const macs = hw.spec.macs;
  const tags = machineTags(hw);
  return (
    <div
      id={`machine-row-${name}`}
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      className={`machine-row${selected ? ' is-selected' : ''}${active ? ' is-active' : ''}${drop.over ? ' is-drop-target' : ''}`}
      data-machine={name}
      onClick={(e) => onRowClick(name, e)}
      onDoubleClick={() => onOpen(name)}
      {...drop.handlers}
    >
      <div role="gridcell" className="cell cell-check">
        <input
          type="checkbox"
          checked={selected}
          aria-label={`Select ${hw.spec.displayName ?? name}`}
          tabIndex={-1}
          onClick={(e) => e.stopPropagation()}
          onChange={() => toggle(name, { toggle: true }, [])}
        />
      </div>
      <div role="gridcell" className="cell cell-name">
        <button type="button" className="link-button machine-name" tabIndex={-1} onClick={(e) => (e.stopPropagation(), onOpen(name))}>
          {hw.spec.displayName ?? name}
        </button>
        <span className="mono muted small">{name}</span>
      </div>
      <div role="gridcell" className="cell cell-macs mono small">
        {macs[0]}
        {macs.length > 1 && <span className="muted"> +{macs.length - 1}</span>}
        {hw.status?.ipAddress && <div className="muted">{hw.status.ipAddress}</div>}
      </div>
      <div role="gridcell" className="cell cell-state">
        <StateBadge state={machineState(hw)} />
        <IdentityBadge hw={hw} />
        <ApprovalBadge hw={hw} />
      </div>
      <div role="gridcell" className="cell cell-progress">
        <MachineProgress hw={hw} />
      </div>
      <div role="gridcell" className="cell cell-hw small">
        {hardwareSummary(hw, formatBytes)}
        {hw.spec.facts?.cpu.model && <div className="muted ellipsis">{hw.spec.facts.cpu.model}</div>}
      </div>
      <div role="gridcell" className="cell cell-tags">
        {tags.slice(0, 3).map((t) => (
          <span key={t} className="tag">
            {t}
          </span>
        ))}
        {tags.length > 3 && <span className="muted small">+{tags.length - 3}</span>}
      </div>
    </div>
  );
});
