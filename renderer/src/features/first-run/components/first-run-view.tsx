import { useState } from 'react';
import { useAppStore } from '../../../app/store.ts';
import { initialChoice, type Readiness } from '../first-run-facts.ts';
import { useReadiness } from '../hooks/use-readiness.ts';
import { InterfaceChoice } from './interface-choice.tsx';
import { ReadinessChecklist } from './readiness-checklist.tsx';
import './first-run.css';

/** The technician's first screen: can machines boot from this laptop, and on which interface. */
interface Props {
  onDone: () => void;
  /** The network settings changed here: the app refreshes what else shows them (the status bar). */
  onSettingsChanged?: () => void;
}

export function FirstRunView({ onDone, onSettingsChanged }: Props) {
  const { error, reload } = useReadiness();
  const r = useAppStore((s) => s.readiness);
  const loaded = useAppStore((s) => s.hostInterfaces.length > 0);
  if (error && !r) {
    return (
      <section className="settings-view fr-view">
        <p className="text-error" role="alert">
          Could not ask the control plane whether machines can boot: {error}
        </p>
        <button type="button" onClick={() => void reload()}>
          Try again
        </button>
      </section>
    );
  }
  if (!r || !loaded) return <p className="empty">Checking this laptop…</p>;
  return <FirstRun r={r} reload={reload} onDone={onDone} onSettingsChanged={onSettingsChanged} />;
}

function FirstRun({ r, reload, onDone, onSettingsChanged }: Props & { r: Readiness; reload: () => Promise<void> }) {
  const interfaces = useAppStore((s) => s.hostInterfaces);
  // Chosen once when the screen opens; afterwards only the technician changes it.
  const [chosen, setChosen] = useState(() => initialChoice(interfaces, r.interface.name));
  return (
    <section className="settings-view fr-view" aria-labelledby="fr-h">
      <h2 id="fr-h">Set up this laptop for network boot</h2>
      <p className={`fr-summary ${r.canBoot ? 'fr-summary-ok' : 'fr-summary-todo'}`} role="status" data-testid="can-boot">
        {r.canBoot ? 'Machines can boot from this laptop.' : `Machines cannot boot yet: ${r.blockers.length} ${r.blockers.length === 1 ? 'thing' : 'things'} to fix.`}
      </p>
      <ReadinessChecklist r={r} />
      <InterfaceChoice chosen={chosen} setChosen={setChosen} mode={r.dhcp.mode} onApplied={() => (void reload(), onSettingsChanged?.())} />
      <p className="fr-footer">
        <button type="button" className="link-button" onClick={onDone}>
          {r.canBoot ? 'Go to the machines' : 'Skip for now and go to the machines'}
        </button>
      </p>
    </section>
  );
}
