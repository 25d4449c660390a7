import type { Progress } from './image2disk.ts';

export const MiB = 1024 * 1024;

/** What every burn-in check takes besides its action. */
export interface BurninDeps {
  /** Progress in bytes, as image2disk reports it (runner.ts progressReporter sends it on). */
  onProgress?: (p: Progress) => void;
  /** Milliseconds, monotonic; default performance.now(). */
  now?: () => number;
}

/** MB/s in decimal megabytes (10^6), as disk vendors quote them. */
export function mbps(bytes: number, seconds: number): number {
  return seconds > 0 ? bytes / 1e6 / seconds : 0;
}

/** A figure for a message: three significant digits, no exponent ("1340", "12.3", "0.521"). */
export function figure(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toString();
  return Number(n.toPrecision(3)).toString();
}
