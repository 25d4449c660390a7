import type { Hardware } from '../../../../core/model/hardware.ts';
import { formatTime } from '../format.ts';

type BootEntry = NonNullable<NonNullable<Hardware['status']>['bootHistory']>[number];

const stepWords: Record<string, string> = {
  dhcp: 'DHCP offer',
  tftp: 'iPXE loaded (TFTP)',
  script: 'Boot script served',
  agent: 'Agent started',
  reboot: 'Rebooted',
  ready: 'Ready',
  rule: 'Rule',
};

export function describeStep(step: string): string {
  if (step.startsWith('action:')) return `Action ${step.slice('action:'.length)}`;
  return stepWords[step] ?? step;
}

/** The boot story of one machine, newest last, as an ordered list with timestamps. */
export function BootTimeline({ entries, limit = 12 }: { entries: readonly BootEntry[] | undefined; limit?: number }) {
  if (!entries || entries.length === 0) return <p className="muted small">No boot activity recorded yet.</p>;
  const shown = entries.slice(-limit);
  return (
    <ol className="timeline" aria-label="Boot timeline">
      {entries.length > shown.length && <li className="muted small">… {entries.length - shown.length} earlier steps</li>}
      {shown.map((e, i) => (
        <li key={`${e.at}-${i}`} className={`timeline-item step-${e.step.split(':')[0]}`}>
          <time dateTime={e.at} className="mono small">
            {formatTime(e.at)}
          </time>
          <span className="timeline-step">{describeStep(e.step)}</span>
          {e.detail && <span className="muted small timeline-detail">{e.detail}</span>}
        </li>
      ))}
    </ol>
  );
}
