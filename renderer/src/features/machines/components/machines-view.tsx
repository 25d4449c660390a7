import type { ReactNode } from 'react';
import { useAppStore } from '../../../app/store.ts';
import { useVisibleMachines } from '../hooks/use-visible-machines.ts';
import { MachinesToolbar } from './machines-toolbar.tsx';
import { MachineTable } from './machine-table.tsx';
import { MachineCards } from './machine-cards.tsx';
import { RackSummaryStrip } from './rack-summary-strip.tsx';
import type { AssignHandler } from './machine-drop.ts';

interface MachinesViewProps {
  onAssign: AssignHandler;
  assignControls?: ReactNode;
  side?: ReactNode;
}

export function MachinesView({ onAssign, assignControls, side }: MachinesViewProps) {
  const visible = useVisibleMachines();
  const layout = useAppStore((s) => s.machineLayout);
  const loaded = useAppStore((s) => s.hardware.loaded);
  const total = useAppStore((s) => s.hardware.names.length);
  const open = useAppStore((s) => s.openMachine);
  return (
    <div className="machines-view">
      <section className="machines-main" aria-label="Machines">
        <RackSummaryStrip />
        <MachinesToolbar visible={visible} assignControls={assignControls} />
        {!loaded ? (
          <p className="empty">Loading machines…</p>
        ) : total === 0 ? (
          <div className="empty">
            <h2>No machines yet</h2>
            <p>Machines appear here when they PXE boot on the provisioning network and the agent reports in.</p>
          </div>
        ) : visible.length === 0 ? (
          <p className="empty">No machine matches the search and filters.</p>
        ) : layout === 'table' ? (
          <MachineTable visible={visible} onOpen={open} onAssign={onAssign} />
        ) : (
          <MachineCards visible={visible} onOpen={open} onAssign={onAssign} />
        )}
      </section>
      {side}
    </div>
  );
}
