import { useAppStore } from '../../../app/store.ts';
import { rackPhases, rackSummary } from '../rack-summary.ts';

/** Counts per phase across the whole rack, and each failed machine with its reason. */
export function RackSummaryStrip() {
  const byName = useAppStore((s) => s.hardware.byName);
  const open = useAppStore((s) => s.openMachine);
  if (byName.size === 0) return null;
  const { counts, failed } = rackSummary(byName.values());
  return (
    <section className="rack-summary" aria-label="Rack summary">
      <ul className="rack-counts">
        {rackPhases.map(({ phase, label }) => (
          <li key={phase} className={`rack-count rack-${phase}`} data-phase={phase}>
            <span className="rack-count-value">{counts[phase]}</span> {label}
          </li>
        ))}
      </ul>
      {failed.length > 0 && (
        <ul className="rack-failed-list" aria-label="Failed machines">
          {failed.map((f) => (
            <li key={f.name}>
              <button type="button" className="link-button" onClick={() => open(f.name)}>
                {f.label}
              </button>
              : <span className="text-error">{f.reason}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
