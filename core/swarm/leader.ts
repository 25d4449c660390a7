/**
 * Leader election per network segment on etcd: at most one Dragonfly instance answers DHCP
 * on a segment at a time.
 *
 * How: the leader key `/dragonfly/v1/leaders/dhcp/<segment>` is created (only if absent, in
 * one etcd transaction) with this instance's id, attached to an etcd lease of `ttlSeconds`.
 * The leader renews the lease every ttl/3. Followers poll the key every `retryMs` and
 * campaign when it is gone (the leader resigned, which revokes the lease at once, or died,
 * and etcd expired its lease).
 *
 * Safety: etcd keeps the lease at least until (send time of the last successful keepalive)
 * + TTL. The leader steps down locally at that instant minus `marginMs`, whether or not
 * etcd answers, so it has stopped serving before anyone else can win the key: two leaders
 * never overlap (assuming the two clocks run at about the same rate).
 *
 * Failover bound after a leader dies without resigning (SIGKILL, power loss):
 *   time until the key is gone <= TTL (the last keepalive was at most ttl/3 before the death,
 *   so >= 2/3 TTL) + etcd's expiry check (its lessor looks every 500 ms)
 *   + one follower poll (retryMs) + the transaction. With the defaults (3 s, 250 ms) that is
 *   at most about 3.8 s, plus the time the DHCP server takes to start.
 * A resigning leader revokes its lease: failover is then one poll (about retryMs).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Etcd3 } from 'etcd3';
import { discardLogger, type Logger } from '../shared/logger.ts';
import { withTimeout } from './etcd-client.ts';

export interface LeaderElectionOptions {
  /** The etcd client (see connectSwarmEtcd); the caller owns and closes it. */
  client: Etcd3;
  /** The segment this election is for, e.g. "10.77.0.0/24"; one leader per segment. */
  segment: string;
  /** This instance's name in the leader key. Default "<hostname>-<pid>-<random>". */
  id?: string;
  /** Lease time to live, seconds. Default 3. Must be >= 2 (etcd's minimum TTL is bounded by its election timeout). */
  ttlSeconds?: number;
  /** How often a follower checks whether the key is free, ms. Default 250. */
  retryMs?: number;
  /** The leader steps down this long before its lease could expire at etcd, ms. Default 300. */
  marginMs?: number;
  /** Key prefix. Default "/dragonfly/v1/leaders/dhcp/". */
  prefix?: string;
  logger?: Logger;
  /** Monotonic milliseconds. Default performance.now. */
  now?: () => number;
}

export interface LeadershipChange {
  leader: boolean;
  /** Why, for the log and the status page: "elected", "resigned", "lease lost: ...". */
  reason: string;
}

export interface LeaderElection {
  readonly id: string;
  readonly key: string;
  readonly isLeader: boolean;
  /** Starts campaigning (and keeps campaigning after a loss). Idempotent. */
  campaign(): void;
  /** Steps down, revokes the lease (so a follower takes over at once) and stops campaigning. */
  resign(): Promise<void>;
  /** Called on every change, after the state has changed. Returns an unsubscribe function. */
  onLeadershipChange(cb: (c: LeadershipChange) => void): () => void;
  /** The id stored in the leader key right now, if any (asks etcd). */
  currentLeader(): Promise<string | undefined>;
}

export const DEFAULT_LEADER_PREFIX = '/dragonfly/v1/leaders/dhcp/';

/** "10.77.0.0/24" -> "10.77.0.0%2F24": one key per segment, no nested path. */
export function leaderKey(prefix: string, segment: string): string {
  return prefix + encodeURIComponent(segment);
}

const defaultId = () => `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;

export function createLeaderElection(opts: LeaderElectionOptions): LeaderElection {
  return new Election(opts);
}

class Election implements LeaderElection {
  readonly id: string;
  readonly key: string;
  private leader = false;
  private running = false;
  private leaseId: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(c: LeadershipChange) => void>();
  private readonly ttlMs: number;
  private readonly log: Logger;
  private readonly now: () => number;
  private failingSince: number | undefined;

  constructor(private readonly o: LeaderElectionOptions) {
    this.id = o.id ?? defaultId();
    this.key = leaderKey(o.prefix ?? DEFAULT_LEADER_PREFIX, o.segment);
    this.ttlMs = (o.ttlSeconds ?? 3) * 1000;
    if (this.ttlMs < 2000) throw new Error('leader ttlSeconds must be at least 2');
    this.log = (o.logger ?? discardLogger).child({ component: 'swarm-leader', segment: o.segment, id: this.id });
    this.now = o.now ?? (() => performance.now());
  }

  get isLeader(): boolean {
    return this.leader;
  }

  campaign(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async resign(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    if (this.leader) this.stepDown('resigned');
    await this.dropLease();
  }

  onLeadershipChange(cb: (c: LeadershipChange) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  async currentLeader(): Promise<string | undefined> {
    return (await this.o.client.get(this.key).string()) ?? undefined;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (!this.running) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    let ok = true;
    try {
      if (this.leader) await this.renew();
      else await this.tryAcquire();
      this.recovered();
    } catch (err) {
      ok = false;
      this.failing(err);
    }
    // A leader whose renewal failed retries at the follower pace: its deadline is near.
    this.schedule(this.leader && ok ? Math.floor(this.ttlMs / 3) : (this.o.retryMs ?? 250));
  }

  /** Follower: take the key if it is free. */
  private async tryAcquire(): Promise<void> {
    if ((await this.o.client.get(this.key).string()) !== null) return;
    const sentAt = this.now();
    const lease = await this.o.client.leaseClient.leaseGrant({ TTL: this.ttlMs / 1000 });
    this.leaseId = lease.ID;
    const res = await this.o.client.if(this.key, 'Create', '==', 0).then(this.o.client.put(this.key).value(this.id).lease(lease.ID)).commit();
    if (!res.succeeded || !this.running) {
      await this.dropLease(); // someone was faster, or resign() ran meanwhile
      return;
    }
    this.extendDeadline(sentAt);
    this.leader = true;
    this.log.info({ key: this.key, ttlSeconds: this.ttlMs / 1000 }, 'elected DHCP leader for this segment');
    this.emit({ leader: true, reason: 'elected' });
  }

  /** Leader: renew the lease and check the key is still ours. */
  private async renew(): Promise<void> {
    const sentAt = this.now();
    const third = Math.floor(this.ttlMs / 3);
    const stream = await withTimeout(this.o.client.leaseClient.leaseKeepAlive(), third, 'lease keepalive stream');
    let ttl: number;
    try {
      const answer = new Promise<{ TTL: string }>((resolve, reject) => {
        stream.on('data', resolve);
        stream.on('error', reject);
      });
      stream.write({ ID: this.leaseId! });
      ttl = Number((await withTimeout(answer, third, 'lease keepalive')).TTL);
    } finally {
      stream.end();
    }
    if (!this.leader) return; // the deadline passed while we waited
    if (!(ttl > 0)) return this.lose('lease lost: etcd says the lease expired');
    const holder = await this.o.client.get(this.key).string();
    if (holder !== this.id) return this.lose(`lease lost: the leader key now names ${holder ?? 'nobody'}`);
    this.extendDeadline(sentAt);
  }

  /** etcd keeps the lease at least until sentAt + TTL; we stop serving marginMs before that. */
  private extendDeadline(sentAt: number): void {
    clearTimeout(this.deadlineTimer);
    const at = sentAt + this.ttlMs - (this.o.marginMs ?? 300);
    this.deadlineTimer = setTimeout(() => this.lose('lease lost: no keepalive confirmed by etcd in time'), Math.max(0, at - this.now()));
  }

  private lose(reason: string): void {
    if (!this.leader) return;
    this.log.warn({ key: this.key }, `no longer DHCP leader: ${reason}; DHCP stops on this instance, campaigning again`);
    this.stepDown(reason);
    void this.dropLease();
    this.schedule(this.o.retryMs ?? 250);
  }

  private stepDown(reason: string): void {
    clearTimeout(this.deadlineTimer);
    this.leader = false;
    this.emit({ leader: false, reason });
  }

  private async dropLease(): Promise<void> {
    const id = this.leaseId;
    this.leaseId = undefined;
    if (id) await this.o.client.leaseClient.leaseRevoke({ ID: id }).catch(() => {}); // unreachable: it expires anyway
  }

  private failing(err: unknown): void {
    if (this.failingSince === undefined) {
      this.failingSince = this.now();
      this.log.warn({ err: (err as Error).message }, 'etcd unreachable for leader election; retrying');
    }
  }

  private recovered(): void {
    if (this.failingSince === undefined) return;
    this.log.info({ downMs: Math.round(this.now() - this.failingSince) }, 'etcd reachable again for leader election');
    this.failingSince = undefined;
  }

  private emit(c: LeadershipChange): void {
    for (const cb of this.listeners) {
      try {
        cb(c);
      } catch (err) {
        this.log.error({ err }, 'leadership listener threw');
      }
    }
  }
}
