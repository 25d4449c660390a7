/** Retry timing of the agent: exponential, capped, with jitter so a rack rebooting together spreads out. */
export interface BackoffPolicy {
  /** First delay, ms. Default 1000. */
  initialMs: number;
  /** Ceiling, ms. Default 30000. */
  maxMs: number;
  /** Jitter as a fraction of the delay, spread evenly both ways; 0 = none. Default 0.2. */
  jitter: number;
}

export const defaultBackoff: BackoffPolicy = { initialMs: 1000, maxMs: 30_000, jitter: 0.2 };

/**
 * Delay before retry number `attempt` (0 = the first retry): initial * 2^attempt, capped,
 * then jittered by `random` (a number in [0, 1), Math.random in production). Never above maxMs.
 */
export function backoffDelayMs(attempt: number, random: () => number, p: BackoffPolicy = defaultBackoff): number {
  const base = Math.min(p.maxMs, p.initialMs * 2 ** Math.min(attempt, 30));
  const jittered = base * (1 + p.jitter * (2 * random() - 1));
  return Math.round(Math.min(p.maxMs, Math.max(0, jittered)));
}

/** Counts consecutive failures; a success resets it. */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly random: () => number = Math.random,
    private readonly policy: BackoffPolicy = defaultBackoff,
  ) {}

  /** The delay to wait after one more failure. */
  next(): number {
    return backoffDelayMs(this.attempt++, this.random, this.policy);
  }

  reset(): void {
    this.attempt = 0;
  }

  get failures(): number {
    return this.attempt;
  }
}
