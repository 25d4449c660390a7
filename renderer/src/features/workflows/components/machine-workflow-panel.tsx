import { useMemo } from 'react';
import { useAppStore } from '../../../app/store.ts';
import { latestWorkflowByMachine } from '../../../shared/workflow-index.ts';
import { WorkflowCard } from './workflow-card.tsx';

/** The machine detail's provisioning section (composed into the machines feature by the app). */
export function MachineWorkflowPanel({ machine }: { machine: string }) {
  const byName = useAppStore((s) => s.workflows.byName);
  const wf = useMemo(() => latestWorkflowByMachine(byName).get(machine), [byName, machine]);
  if (!wf) return null;
  return (
    <section aria-label="Provisioning">
      <h3>Provisioning</h3>
      <WorkflowCard wf={wf} showTimeline={false} />
    </section>
  );
}
