/**
 * What one image's swarm did, for the benchmark and for diagnosing a slow rack: how often the
 * control plane sent a chunk, why it sent one a second time, and how long chunks stayed with a
 * single holder while others waited for them (the end-game). The tracker reads two of these
 * (sends so far, when a chunk got its first holder) for the end-game; it decides, this counts.
 */
export interface SwarmStats {
  /** Chunks leased from the control plane, first sends and resends. */
  serverSends: number;
  /** Second and later sends of a chunk by the control plane, by why the tracker allowed them. */
  resends: Record<string, number>;
  /** The chunks sent more than once. */
  resent: number[];
  /** Chunks a second agent fetched from the control plane in the end-game (counted in serverSends). */
  endgameSends: number;
  /** From a chunk's first holder to its second, ms (a chunk still with one holder counts up to now). */
  singleHolderMs: { max: number; median: number; maxChunk?: number };
  /** Reports received, by problem, and peers dropped for everyone. */
  reports: Record<string, number>;
  dropped: number;
  /**
   * Tracker calls by what they were: a plan with chunks ('plan'), a plan with none for an agent that
   * wants chunks ('empty'), a finished agent serving on ('linger'), one leaving ('leaving'); and the
   * same per 10 s from the first call (where the control plane's link goes over a round).
   */
  calls: Record<CallKind, number>;
  callsPer10s: Array<Record<CallKind, number>>;
}

export type CallKind = 'plan' | 'empty' | 'linger' | 'leaving';
const noCalls = (): Record<CallKind, number> => ({ plan: 0, empty: 0, linger: 0, leaving: 0 });

export class SwarmLog {
  private sends_ = 0;
  private endgame = 0;
  private readonly sent = new Set<number>();
  private readonly resendWhy: Record<string, number> = {};
  private readonly resentChunks = new Set<number>();
  private readonly firstHeld = new Map<number, number>();
  private readonly secondHeld = new Map<number, number>();
  private readonly reportsBy: Record<string, number> = {};
  private readonly calls = noCalls();
  private readonly buckets: Array<Record<CallKind, number>> = [];
  private firstCall?: number;

  /** A tracker call answered at `now`. */
  called(kind: CallKind, now: number): void {
    this.calls[kind]++;
    this.firstCall ??= now;
    const b = Math.floor((now - this.firstCall) / 10_000);
    while (this.buckets.length <= b) this.buckets.push(noCalls());
    this.buckets[b][kind]++;
  }

  /** The control plane leases chunk c; `why` says what allowed a second send when it is one. */
  leased(c: number, why: () => string, endgame = false): void {
    this.sends_++;
    if (endgame) this.endgame++;
    if (this.sent.has(c)) {
      const w = why();
      this.resendWhy[w] = (this.resendWhy[w] ?? 0) + 1;
      this.resentChunks.add(c);
    }
    this.sent.add(c);
  }

  /** Chunks the control plane was asked to send so far (the end-game's budget counts them). */
  sends(): number {
    return this.sends_;
  }

  /** When chunk c got its first holder. */
  heldSince(c: number): number | undefined {
    return this.firstHeld.get(c);
  }

  /** Chunk c now has `holders` holders (counted after the new one). */
  held(c: number, holders: number, now: number): void {
    if (!this.firstHeld.has(c)) this.firstHeld.set(c, now);
    else if (holders >= 2 && !this.secondHeld.has(c)) this.secondHeld.set(c, now);
  }

  /** A report received (its problem), or 'dropped': a peer dropped for everyone. */
  reported(problem: string): void {
    this.reportsBy[problem] = (this.reportsBy[problem] ?? 0) + 1;
  }

  stats(now: number): SwarmStats {
    const waits = [...this.firstHeld].map(([c, t]) => ({ c, ms: (this.secondHeld.get(c) ?? now) - t })).sort((a, b) => a.ms - b.ms);
    const top = waits.at(-1);
    return {
      serverSends: this.sends_,
      resends: { ...this.resendWhy },
      resent: [...this.resentChunks].sort((a, b) => a - b),
      endgameSends: this.endgame,
      singleHolderMs: { max: top?.ms ?? 0, median: waits[Math.floor(waits.length / 2)]?.ms ?? 0, ...(top ? { maxChunk: top.c } : {}) },
      reports: { ...this.reportsBy },
      dropped: this.reportsBy.dropped ?? 0,
      calls: { ...this.calls },
      callsPer10s: this.buckets.map((b) => ({ ...b })),
    };
  }
}
