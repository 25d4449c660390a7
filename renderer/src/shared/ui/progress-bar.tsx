interface ProgressBarProps {
  /** 0..100; undefined draws an empty track (nothing started). */
  percent: number | undefined;
  label: string;
  tone?: 'normal' | 'error' | 'done';
  size?: 'small' | 'large';
}

export function ProgressBar({ percent, label, tone = 'normal', size = 'small' }: ProgressBarProps) {
  const p = percent === undefined ? 0 : Math.max(0, Math.min(100, percent));
  return (
    <div
      className={`progress progress-${size} progress-${tone}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent === undefined ? undefined : Math.round(p)}
    >
      <div className="progress-fill" style={{ width: `${p}%` }} />
    </div>
  );
}
