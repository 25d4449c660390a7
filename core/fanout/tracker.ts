import { EventEmitter } from 'node:events';
import type { SourceAssignment, SourcesReply } from '../contract/fanout.ts';
import { SwarmLog, type SwarmStats } from './swarm-stats.ts';

/** What the event stream tells the operator about the swarm (a peer dropped, and why). */
export interface FanoutEvent {
  kind: 'peer-dropped';
  image: string;
  peer: string;
  problem: 'corrupt' | 'unreachable';
  reportedBy: string;
  chunk?: number;
}

export interface TrackerOptions {
  now?: () => number;
  /**
   * A chunk handed to one agent from the control plane is not handed to another for this long
   * after that agent's last call, ms; default 30 000. (While it keeps calling, its run is still
   * coming: over a slow link a run takes longer than any fixed lease, and a second agent
   * fetching the same chunk doubles what the link has to carry.)
   */
  serverLeaseMs?: number;
  /** Most chunks one agent has from the control plane at once (leased, not yet announced); default 8 (32 MiB). */
  maxServerChunks?: number;
  /** Most chunks one plan asks of one peer; default 4, so a plan spreads over several peers. */
  maxPerPeer?: number;
  /** An agent not heard from for this long is not counted as wanting, ms; default 15 000. */
  staleMs?: number;
  /**
   * A lease whose chunks the control plane finished sending holds while its agent was heard from
   * within this long, ms; default 120 000. The bytes are with the agent: a silent agent (no CPU
   * to spare at that moment) writes and announces them later, and a second send only doubles what
   * the link carries. An agent silent this long is taken for gone and its chunks sent again.
   */
  deliveredLeaseMs?: number;
  /** A chunk with one holder this long while other agents want it is in the end-game, ms; default 10 000. */
  endgameAfterMs?: number;
}

/**
 * End-game sends the control plane may make beyond one per chunk, as a share of the image's
 * chunks: 0.1·S on top of S leaves 0.4·S of the 1.5·S budget for tracker calls and TCP/IP.
 */
const ENDGAME_SHARE = 0.1;
/** Assumed time a peer takes per chunk until it has served one (then its own average counts), ms. */
const UNPROVEN_CHUNK_MS = 1000;

/**
 * The wait the tracker suggests to an agent it has nothing for, per other agent still wanting
 * chunks, ms (between RETRY_MIN_MS and RETRY_MAX_MS). Idle agents then ask about 1000/RETRY_PER_AGENT_MS
 * times a second all together, whatever their number: a fixed 250 ms made the tracker's own
 * traffic grow with N (200 agents, ~400 bytes a call, filled the bench's 1 Mbit/s link).
 */
const RETRY_PER_AGENT_MS = 40;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;

/** Agents that must fail to reach a peer before it is dropped for everyone. */
const UNREACHABLE_QUORUM = 3;

/** Recent assignments count as a peer's load for this long, ms. */
const LOAD_WINDOW_MS = 2000;
/** Assignments within the window past which a peer gets no more (about what 1 GbE moves in 4 MiB chunks). */
const SATURATED = 16;

interface Peer {
  url: string;
  have: Set<number>;
  /**
   * Chunks assigned to it in recent plans (when, which, to whom): its load. An assignment ends when
   * the agent announces the chunk, or after LOAD_WINDOW_MS: counting delivered chunks for the whole
   * window left a peer holding everything idle while the others were told to wait.
   */
  assigned: Array<{ t: number; chunk: number; to: string }>;
  wanting: boolean;
  seen: number;
  /** Its recent time per chunk served, assignment to announcement, ms (moving average): fast peers seed more. */
  chunkMs?: number;
}

interface Lease {
  agent: string;
  until: number;
  /** The control plane sent all of the chunk's bytes to the agent (its response finished). */
  delivered?: boolean;
}

interface Swarm {
  peers: Map<string, Peer>;
  /** Peers caught serving wrong chunks or gone: never assigned again for this image. */
  dropped: Set<string>;
  /** peer -> agents that could not reach it: they are not sent to it again. */
  unreachableBy: Map<string, Set<string>>;
  /** chunk -> who fetches it from the control plane, until when. */
  serverLeases: Map<number, Lease>;
  log: SwarmLog;
  /** Chunks of the image, once its manifest was served: what the end-game's budget is a share of. */
  chunks?: number;
}

/**
 * The control plane's side of fan-out: which agent holds which chunk of which image, and whom an
 * agent should fetch its next chunks from. Rarest chunks first (they are the ones a departing peer
 * would take away); each from the least-loaded holder; a chunk nobody holds comes from the control
 * plane, leased to one agent at a time so the control plane sends it about once.
 * Memory only: after a restart, agents re-announce with their next request.
 */
export class FanoutTracker {
  readonly events = new EventEmitter();
  private readonly swarms = new Map<string, Swarm>();
  private readonly now: () => number;
  private readonly o: Required<Omit<TrackerOptions, 'now'>>;

  constructor(o: TrackerOptions = {}) {
    this.now = o.now ?? Date.now;
    this.o = {
      serverLeaseMs: o.serverLeaseMs ?? 30_000, maxServerChunks: o.maxServerChunks ?? 8, maxPerPeer: o.maxPerPeer ?? 4, staleMs: o.staleMs ?? 15_000,
      deliveredLeaseMs: o.deliveredLeaseMs ?? 120_000, endgameAfterMs: o.endgameAfterMs ?? 10_000,
    };
  }

  /** The image has `chunks` chunks (its manifest was served): sets the end-game's budget. */
  describe(image: string, chunks: number): void {
    this.swarm(image).chunks = chunks;
  }

  /** The control plane finished sending chunks from..to to `agent`: their leases no longer lapse while it is briefly silent. */
  delivered(image: string, agent: string, from: number, to: number): void {
    const leases = this.swarm(image).serverLeases;
    for (let c = from; c <= to; c++) {
      const lease = leases.get(c);
      if (lease?.agent === agent) lease.delivered = true;
    }
  }

  /** Records what `agent` holds, then plans sources for up to the wanted chunks. */
  sources(image: string, agent: string, peerUrl: string, have: number[], want: number[], leaving = false): SourcesReply {
    const swarm = this.swarm(image);
    if (leaving) {
      swarm.peers.delete(agent);
      swarm.log.called('leaving', this.now());
      return { plan: [], wanting: this.wanting(swarm, agent) };
    }
    const me = this.announce(swarm, agent, peerUrl, have, want.length > 0);
    const wanted = want.filter((c) => !me.have.has(c));
    const plan = this.plan(swarm, agent, wanted, this.o.maxServerChunks - this.outstanding(swarm, agent, wanted));
    const wanting = this.wanting(swarm, agent);
    swarm.log.called(want.length === 0 ? 'linger' : plan.length ? 'plan' : 'empty', me.seen);
    return { plan, wanting, ...(plan.length === 0 && want.length > 0 ? { retryMs: retryHint(wanting) } : {}) };
  }

  /**
   * A peer served a wrong chunk or could not be reached: it is dropped for this image, and the
   * operator is told once (the other agents it lied to report it too); undefined when already dropped.
   */
  report(image: string, reportedBy: string, peer: string, problem: FanoutEvent['problem'], chunk?: number): FanoutEvent | undefined {
    const swarm = this.swarm(image);
    if (swarm.dropped.has(peer)) return undefined;
    swarm.log.reported(problem);
    if (problem === 'unreachable') {
      // One agent failing to reach a peer (a busy moment, another segment) says little: that agent
      // stops asking it; everyone does once UNREACHABLE_QUORUM agents could not reach it.
      const by = swarm.unreachableBy.get(peer) ?? new Set<string>();
      swarm.unreachableBy.set(peer, by.add(reportedBy));
      if (by.size < UNREACHABLE_QUORUM) return undefined;
    }
    swarm.dropped.add(peer);
    swarm.peers.delete(peer);
    swarm.log.reported('dropped');
    const ev: FanoutEvent = { kind: 'peer-dropped', image, peer, problem, reportedBy, ...(chunk !== undefined ? { chunk } : {}) };
    this.events.emit('event', ev);
    return ev;
  }

  /** Holders of each chunk (for tests and the view). */
  holders(image: string, chunk: number): string[] {
    return [...this.swarm(image).peers].filter(([, p]) => p.have.has(chunk)).map(([id]) => id);
  }

  /** What the swarm of `image` did so far (control-plane sends and why, single-holder times, reports). */
  stats(image: string): SwarmStats {
    return this.swarm(image).log.stats(this.now());
  }

  private swarm(image: string): Swarm {
    let s = this.swarms.get(image);
    if (!s) this.swarms.set(image, (s = { peers: new Map(), dropped: new Set(), unreachableBy: new Map(), serverLeases: new Map(), log: new SwarmLog() }));
    return s;
  }

  private announce(swarm: Swarm, agent: string, url: string, have: number[], wanting: boolean): Peer {
    let p = swarm.peers.get(agent);
    if (!p) swarm.peers.set(agent, (p = { url, have: new Set(), assigned: [], wanting, seen: 0 }));
    p.url = url;
    p.wanting = wanting;
    p.seen = this.now();
    for (const c of have) {
      if (!p.have.has(c)) swarm.log.held(c, holderCount(swarm, c) + 1, p.seen);
      p.have.add(c);
      if (swarm.serverLeases.get(c)?.agent === agent) swarm.serverLeases.delete(c);
    }
    if (have.length) {
      const got = new Set(have);
      for (const q of swarm.peers.values()) {
        q.assigned = q.assigned.filter((a) => {
          if (a.to !== agent || !got.has(a.chunk)) return true;
          servedIn(q, p!.seen - a.t);
          return false;
        });
      }
    }
    return p;
  }

  /** Chunks leased to `agent` from the control plane that it has not announced and is not asking for again: its runs still coming. */
  private outstanding(swarm: Swarm, agent: string, want: number[]): number {
    const asked = new Set(want);
    let n = 0;
    for (const [c, lease] of swarm.serverLeases) if (lease.agent === agent && !asked.has(c)) n++;
    return n;
  }

  private plan(swarm: Swarm, agent: string, want: number[], serverRoom: number): SourceAssignment[] {
    const now = this.now();
    const others = [...swarm.peers].filter(([id]) => id !== agent && !swarm.dropped.has(id) && !swarm.unreachableBy.get(id)?.has(agent));
    for (const [, p] of others) {
      const before = p.assigned.length;
      p.assigned = p.assigned.filter((a) => now - a.t < LOAD_WINDOW_MS);
      // not delivered within the window (slow, starved, or busy): that is its pace for now
      for (let k = p.assigned.length; k < before; k++) servedIn(p, LOAD_WINDOW_MS);
    }
    // A holder already given out more than it can send in the window is left alone: the chunk
    // waits for a second holder rather than piling onto the first (its uploads are bounded).
    const holdersOf = (c: number) => others.filter(([, p]) => p.have.has(c));
    const byRarity = want.map((c) => ({ c, holders: holdersOf(c) })).sort((a, b) => a.holders.length - b.holders.length || a.c - b.c);
    const fromPeer = new Map<string, number[]>();
    const fromServer: number[] = [];
    for (const { c, holders } of byRarity) {
      const room = fromServer.length < serverRoom;
      if (holders.length === 0) {
        if (room && this.leaseFromServer(swarm, c, agent, now)) fromServer.push(c);
      } else if (room && this.inEndgame(swarm, c, now) && this.leaseFromServer(swarm, c, agent, now, true)) {
        fromServer.push(c); // its one holder is not passing it on: a second copy from the control plane, within budget
      } else this.assignToPeer(c, agent, holders.filter(([, p]) => p.assigned.length < SATURATED), fromPeer, now);
    }
    const plan: SourceAssignment[] = [...fromPeer].map(([id, chunks]) => ({ chunks: chunks.sort((a, b) => a - b), peer: { id, url: swarm.peers.get(id)!.url } }));
    if (fromServer.length) plan.push({ chunks: fromServer.sort((a, b) => a - b) });
    return plan;
  }

  private assignToPeer(c: number, to: string, holders: Array<[string, Peer]>, fromPeer: Map<string, number[]>, now: number): void {
    const open = holders.filter(([id]) => (fromPeer.get(id)?.length ?? 0) < this.o.maxPerPeer);
    if (open.length === 0) return;
    // The holder expected to deliver soonest: its load times its own pace (fast peers seed more).
    const [id, p] = open.reduce((best, h) => (expectedMs(h[1]) < expectedMs(best[1]) ? h : best));
    p.assigned.push({ t: now, chunk: c, to });
    fromPeer.set(id, [...(fromPeer.get(id) ?? []), c]);
  }

  private leaseFromServer(swarm: Swarm, c: number, agent: string, now: number, endgame = false): boolean {
    const lease = swarm.serverLeases.get(c);
    const lessee = lease && lease.agent !== agent ? swarm.peers.get(lease.agent) : undefined;
    if (lessee && this.leaseHolds(lease!, lessee, now)) return false;
    swarm.log.leased(c, () => (endgame ? 'end-game' : resendReason(swarm, c, agent, lease)), endgame);
    swarm.serverLeases.set(c, { agent, until: now + this.o.serverLeaseMs });
    return true;
  }

  private leaseHolds(lease: Lease, lessee: Peer, now: number): boolean {
    const silent = now - lessee.seen;
    return lease.until > now || silent < this.o.serverLeaseMs || (lease.delivered === true && silent < this.o.deliveredLeaseMs);
  }

  /**
   * Chunk c has had one holder for endgameAfterMs while at least two agents want it, and the
   * control plane has budget left for a second copy: that holder is slow or starved, and everyone
   * else waits on it (at 200 agents, 198 disks waited about a minute for chunks one agent held).
   */
  private inEndgame(swarm: Swarm, c: number, now: number): boolean {
    if (swarm.chunks === undefined || swarm.log.sends() + 1 > swarm.chunks * (1 + ENDGAME_SHARE)) return false;
    const since = swarm.log.heldSince(c);
    if (since === undefined || now - since < this.o.endgameAfterMs || holderCount(swarm, c) !== 1) return false;
    let waiting = 0;
    for (const p of swarm.peers.values()) if (p.wanting && !p.have.has(c) && now - p.seen < this.o.staleMs) waiting++;
    return waiting >= 2;
  }

  private wanting(swarm: Swarm, agent: string): number {
    const now = this.now();
    return [...swarm.peers].filter(([id, p]) => id !== agent && p.wanting && now - p.seen < this.o.staleMs).length;
  }
}

/** How long a peer would take to serve one more chunk: its outstanding ones and its pace. */
const expectedMs = (p: Peer): number => (p.assigned.length + 1) * (p.chunkMs ?? UNPROVEN_CHUNK_MS);

/** A chunk assigned to `p` arrived `ms` after its assignment: folded into p's pace. */
function servedIn(p: Peer, ms: number): void {
  p.chunkMs = p.chunkMs === undefined ? ms : 0.7 * p.chunkMs + 0.3 * ms;
}

/** How many agents of the swarm hold chunk c. */
function holderCount(swarm: Swarm, c: number): number {
  let n = 0;
  for (const p of swarm.peers.values()) if (p.have.has(c)) n++;
  return n;
}

/** Why the control plane is about to send chunk c a second time (the swarm's diagnostics). */
function resendReason(swarm: Swarm, c: number, agent: string, lease: { agent: string } | undefined): string {
  if (lease?.agent === agent) return 'same agent asks again (its run failed)';
  if (lease) return swarm.peers.has(lease.agent) ? 'lease lapsed (lessee silent)' : 'lessee left or dropped';
  if (holderCount(swarm, c) === 0) return 'holders left or dropped';
  return 'holders not reachable for the asker';
}

/** How long an agent with nothing to do should wait before asking again, with `wanting` others waiting too. */
export const retryHint = (wanting: number): number => Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, wanting * RETRY_PER_AGENT_MS));
