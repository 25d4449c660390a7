/**
 * When to show a native notification. A machine that becomes Ready or fails is worth one
 * notification; the same news twice is noise, and forty machines finishing in the same
 * minute must not bury the desktop under forty toasts. Pure: the caller passes the time and
 * schedules `flush` at `nextFlushAt()`.
 */

export type Outcome = 'Ready' | 'Error';

export interface MachineNews {
  /** Hardware metadata.name (the key that makes news unique). */
  machine: string;
  /** Any lifecycle state; only Ready and Error are news, the others reset the memory. */
  state: string;
  displayName?: string;
  /** Overrides the generated single-notice title (the control plane's own wording). */
  title?: string;
  /** Ready: what happened; Error: the reason the workflow stopped. */
  detail?: string;
}

export interface NativeNotice {
  level: 'info' | 'error';
  title: string;
  body: string;
  /** Set for a single machine (a click opens it); absent on a summary. */
  machine?: string;
}

export interface NotificationPolicyOptions {
  /** Notifications shown one by one per window before the rest are summarised. Default 3; 0 = summarise everything. */
  burst?: number;
  /** Length of a window in milliseconds. Default 10 000; 0 = no rate limit (every piece of news is shown at once). */
  windowMs?: number;
}

interface Held {
  news: MachineNews;
  outcome: Outcome;
}

export class NotificationPolicy {
  private readonly burst: number;
  private readonly windowMs: number;
  private readonly lastState = new Map<string, string>();
  private readonly held = new Map<string, Held>(); // machine → latest held outcome
  private windowStart: number | undefined;
  private shownInWindow = 0;

  constructor(opts: NotificationPolicyOptions = {}) {
    this.burst = opts.burst ?? 3;
    this.windowMs = opts.windowMs ?? 10_000;
  }

  /** Remember a state without notifying (machines already Ready when the app starts). */
  seed(machine: string, state: string): void {
    this.lastState.set(machine, state);
  }

  forget(machine: string): void {
    this.lastState.delete(machine);
    this.held.delete(machine);
  }

  /**
   * A state seen in a store change. Ready and Error are left to the control plane's own
   * notification events (they carry the reason); any other state clears the memory, so the
   * next Ready after a reimage is news again.
   */
  track(machine: string, state: string, now: number): NativeNotice[] {
    return outcomeOf(state) === undefined ? this.observe({ machine, state }, now) : [];
  }

  /** Feed one observation; returns what to show right now (usually zero or one notice). */
  observe(news: MachineNews, now: number): NativeNotice[] {
    const previous = this.lastState.get(news.machine);
    this.lastState.set(news.machine, news.state);
    if (previous === news.state) return []; // the same news again: a repeated or replayed event
    this.held.delete(news.machine); // whatever was held is no longer true
    const outcome = outcomeOf(news.state);
    if (outcome === undefined) return [];
    const out = this.flush(now);
    if (this.windowMs === 0) return [...out, single(news, outcome)];
    if (this.windowStart === undefined) this.openWindow(now);
    if (this.shownInWindow < this.burst) {
      this.shownInWindow += 1;
      return [...out, single(news, outcome)];
    }
    this.held.set(news.machine, { news, outcome });
    return out;
  }

  /** When the caller should call flush next, or undefined when nothing waits. */
  nextFlushAt(): number | undefined {
    return this.windowStart === undefined ? undefined : this.windowStart + this.windowMs;
  }

  /** Closes an elapsed window: held news becomes one summary per outcome. */
  flush(now: number): NativeNotice[] {
    if (this.windowStart === undefined || now < this.windowStart + this.windowMs) return [];
    const held = [...this.held.values()];
    this.held.clear();
    this.windowStart = undefined;
    this.shownInWindow = 0;
    return (['Ready', 'Error'] as const).flatMap((o) => summarise(held.filter((h) => h.outcome === o)));
  }

  private openWindow(now: number): void {
    this.windowStart = now;
    this.shownInWindow = 0;
  }
}

export function outcomeOf(state: string): Outcome | undefined {
  return state === 'Ready' || state === 'Error' ? state : undefined;
}

function nameOf(news: MachineNews): string {
  return news.displayName?.trim() || news.machine;
}

function single(news: MachineNews, outcome: Outcome): NativeNotice {
  if (outcome === 'Ready') {
    return { level: 'info', machine: news.machine, title: news.title ?? `${nameOf(news)} is Ready`, body: news.detail ?? 'Provisioning finished; it now boots from its own disk.' };
  }
  return { level: 'error', machine: news.machine, title: news.title ?? `${nameOf(news)} failed`, body: news.detail ?? 'Provisioning stopped with an error. Open Dragonfly to retry or resolve it.' };
}

function summarise(held: Held[]): NativeNotice[] {
  if (held.length === 0) return [];
  if (held.length === 1) return [single(held[0].news, held[0].outcome)];
  const outcome = held[0].outcome;
  const title = outcome === 'Ready' ? `${held.length} machines are Ready` : `${held.length} machines failed`;
  return [{ level: outcome === 'Ready' ? 'info' : 'error', title, body: listNames(held.map((h) => nameOf(h.news))) }];
}

/** "A, B, C and 9 more": enough to recognise, short enough for a toast. */
export function listNames(names: string[], max = 3): string {
  if (names.length <= max) return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}
