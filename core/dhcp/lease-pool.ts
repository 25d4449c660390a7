/**
 * The address pool of full mode: which address a MAC gets, offers held in memory, bound and
 * declined addresses written through the LeaseStore. Time comes from an injected clock.
 *
 * The store is the authority, the in-memory index a cache of it. A bound lease is claimed in
 * the store (compare-and-set) before it is recorded here, so when several instances share one
 * store (swarm mode, etcd) the loser of a race for an address is refused, records who holds
 * it, and skips it from then on; the caller NAKs the client.
 */
import { intToIp, ipToInt } from './ipv4.ts';
import type { Lease, LeaseStore } from './lease-store.ts';

export interface PoolConfig {
  /** First and last address handed out, inclusive. */
  rangeStart: string;
  rangeEnd: string;
  /** MAC -> fixed address (may lie outside the range but must be in the subnet). */
  reservations: Map<string, string>;
  /** Addresses never handed out (the server's own). */
  excluded: Set<string>;
  /** How long an OFFER keeps its address for the client, ms. */
  offerHoldMs: number;
  /** How long a DECLINEd address stays out of use, ms. */
  declineHoldMs: number;
  store: LeaseStore;
  now: () => number;
}

interface Entry {
  ip: string;
  mac: string;
  state: 'offered' | 'bound' | 'declined';
  expiresAt: number;
  hostName?: string;
  /** Learned from the store after a refused claim or a lookup: another instance bound it. */
  foreign?: boolean;
}

/** What bind came to: the lease, or why not (`holder` when the store refused the claim). */
export type BindResult = { ok: true; lease: Lease } | { ok: false; reason: string; holder?: Lease };

export class LeasePool {
  private readonly byIp = new Map<string, Entry>();
  private readonly byMac = new Map<string, string>();
  private readonly reservedIps: Map<string, string>;
  private readonly start: number;
  private readonly end: number;
  private cursor: number;

  constructor(private readonly cfg: PoolConfig) {
    this.start = ipToInt(cfg.rangeStart);
    this.end = ipToInt(cfg.rangeEnd);
    if (this.end < this.start) throw new Error(`range end ${cfg.rangeEnd} is before start ${cfg.rangeStart}`);
    this.cursor = this.start;
    this.reservedIps = new Map([...cfg.reservations].map(([mac, ip]) => [ip, mac]));
  }

  /** Loads bound and declined leases from the store (call once before serving). */
  async load(): Promise<void> {
    for (const l of await this.cfg.store.list()) this.remember({ ...l });
  }

  private remember(e: Entry): void {
    const old = this.byIp.get(e.ip);
    if (old && this.byMac.get(old.mac) === e.ip) this.byMac.delete(old.mac);
    this.byIp.set(e.ip, e);
    if (e.mac) this.byMac.set(e.mac, e.ip);
  }

  private forget(ip: string): void {
    const old = this.byIp.get(ip);
    if (!old) return;
    this.byIp.delete(ip);
    if (this.byMac.get(old.mac) === ip) this.byMac.delete(old.mac);
  }

  inRange(ip: string): boolean {
    const n = ipToInt(ip);
    return n >= this.start && n <= this.end;
  }

  /** The entry a MAC currently has (offered or bound), if any. */
  entryOf(mac: string): Readonly<Entry> | undefined {
    const ip = this.byMac.get(mac);
    return ip === undefined ? undefined : this.byIp.get(ip);
  }

  entryAt(ip: string): Readonly<Entry> | undefined {
    return this.byIp.get(ip);
  }

  /** Whether `mac` may have `ip` right now. */
  availableTo(ip: string, mac: string): boolean {
    if (this.cfg.excluded.has(ip)) return false;
    const reservedFor = this.reservedIps.get(ip);
    if (reservedFor !== undefined && reservedFor !== mac) return false;
    if (reservedFor === undefined && !this.inRange(ip)) return false;
    const e = this.byIp.get(ip);
    if (!e) return true;
    if (e.expiresAt <= this.cfg.now()) return true;
    return e.mac === mac && e.state !== 'declined';
  }

  /** Why `ip` cannot go to `mac` (the DHCPNAK message), or undefined when it can. */
  refusal(ip: string, mac: string): string | undefined {
    if (this.availableTo(ip, mac)) return undefined;
    return this.byIp.get(ip)?.foreign ? takenElsewhere(ip) : `${ip} is not available to ${mac}`;
  }

  /**
   * Picks an address for a DISCOVER: the MAC's reservation, else its current address, else the
   * one it asked for (RFC 2131 4.3.1 order), else a never-used one, else the longest-expired.
   * `skip` lets the caller retry past addresses a ping found in use.
   */
  choose(mac: string, requested?: string, skip: Set<string> = new Set()): string | undefined {
    const reserved = this.cfg.reservations.get(mac);
    if (reserved !== undefined) return skip.has(reserved) || this.cfg.excluded.has(reserved) ? undefined : reserved;
    const current = this.byMac.get(mac);
    if (current !== undefined && !skip.has(current) && this.availableTo(current, mac)) return current;
    if (requested !== undefined && !skip.has(requested) && this.availableTo(requested, mac)) return requested;
    return this.fresh(mac, skip) ?? this.oldestExpired(mac, skip);
  }

  private fresh(mac: string, skip: Set<string>): string | undefined {
    const size = this.end - this.start + 1;
    for (let i = 0; i < size; i++) {
      const n = this.cursor;
      this.cursor = n >= this.end ? this.start : n + 1;
      const ip = intToIp(n);
      if (!this.byIp.has(ip) && !skip.has(ip) && this.availableTo(ip, mac)) return ip;
    }
    return undefined;
  }

  private oldestExpired(mac: string, skip: Set<string>): string | undefined {
    let best: Entry | undefined;
    const now = this.cfg.now();
    for (const e of this.byIp.values()) {
      if (e.expiresAt > now || skip.has(e.ip) || !this.availableTo(e.ip, mac)) continue;
      if (!best || e.expiresAt < best.expiresAt) best = e;
    }
    return best?.ip;
  }

  /** Holds `ip` for `mac` while the client considers the OFFER (memory only). */
  hold(ip: string, mac: string): void {
    const e = this.byIp.get(ip);
    if (e && e.mac === mac && e.state === 'bound' && e.expiresAt > this.cfg.now()) return; // keep the lease
    this.forgetMac(mac, ip);
    this.remember({ ip, mac, state: 'offered', expiresAt: this.cfg.now() + this.cfg.offerHoldMs });
  }

  /** Drops whatever else this MAC held, so one client never sits on two addresses. */
  private forgetMac(mac: string, keep: string): void {
    const other = this.byMac.get(mac);
    if (other !== undefined && other !== keep && this.byIp.get(other)?.state === 'offered') this.forget(other);
  }

  /** The client went with another server's offer: free the address we held for it. */
  dropOffer(mac: string): void {
    const ip = this.byMac.get(mac);
    if (ip !== undefined && this.byIp.get(ip)?.state === 'offered') this.forget(ip);
  }

  /**
   * Commits a lease on REQUEST: claims it in the store first and records it here only once
   * the store took it (ACK only after that). Refused when this pool already knows the address
   * is someone else's, or when the store has it live for another MAC (another instance bound
   * it); the holder is then remembered, so the address is skipped until its lease ends.
   */
  async bind(ip: string, mac: string, leaseSeconds: number, hostName?: string): Promise<BindResult> {
    const refused = this.refusal(ip, mac);
    if (refused) return { ok: false, reason: refused };
    const lease: Lease = { ip, mac, state: 'bound', expiresAt: this.cfg.now() + leaseSeconds * 1000, ...(hostName ? { hostName } : {}) };
    const claimed = await this.cfg.store.claim(lease);
    if (!claimed.ok) {
      this.learn(claimed.holder);
      return { ok: false, reason: takenElsewhere(ip), holder: claimed.holder };
    }
    const other = this.byMac.get(mac);
    const otherEntry = other === undefined || other === ip ? undefined : this.byIp.get(other);
    this.forgetMac(mac, ip);
    this.remember({ ...lease });
    if (otherEntry?.state === 'bound' && otherEntry.mac === mac) {
      // One address per client: give back the one it had before (only if still its own).
      if (this.byIp.get(otherEntry.ip) === otherEntry) this.forget(otherEntry.ip);
      await this.cfg.store.release(otherEntry.ip, mac);
    }
    return { ok: true, lease };
  }

  /**
   * DISCOVER: whether the store agrees `ip` is free for `mac`. Another instance may have bound
   * it since this pool loaded; then the holder is remembered and the answer is false.
   */
  async freeInStore(ip: string, mac: string): Promise<boolean> {
    const l = await this.cfg.store.get(ip);
    if (!l || l.expiresAt <= this.cfg.now() || (l.state === 'bound' && l.mac === mac)) return true;
    this.learn(l);
    return false;
  }

  /** Records what the store says someone else holds (replacing an offer we had made). */
  private learn(holder: Lease): void {
    const cur = this.byIp.get(holder.ip);
    if (cur && !cur.foreign && cur.state === 'bound' && cur.mac === holder.mac) return; // our own lease, read back
    this.remember({ ip: holder.ip, mac: holder.mac, state: holder.state, expiresAt: holder.expiresAt, foreign: true });
  }

  /**
   * RELEASE: only the owner may give an address back (RFC 2131 4.3.4), and the store deletes
   * it only while it is still that MAC's. The store goes first: until it has let go, this
   * pool keeps the address out, so a DISCOVER cannot read the old lease back as foreign.
   */
  async release(ip: string, mac: string): Promise<boolean> {
    const e = this.byIp.get(ip);
    if (!e || e.mac !== mac || e.state === 'declined') return false;
    await this.cfg.store.release(ip, mac);
    if (this.byIp.get(ip) === e) this.forget(ip);
    return true;
  }

  /** DECLINE: the address is in use by someone unknown; keep it out for a while (RFC 2131 4.3.3). */
  async markBad(ip: string): Promise<void> {
    const lease: Lease = { ip, mac: '', state: 'declined', expiresAt: this.cfg.now() + this.cfg.declineHoldMs };
    this.remember({ ...lease });
    await this.cfg.store.put(lease);
  }

  /** Offered/bound counts, for stats and the exhaustion warning. */
  usage(): { size: number; inUse: number } {
    const now = this.cfg.now();
    let inUse = 0;
    for (const e of this.byIp.values()) if (e.expiresAt > now && this.inRange(e.ip)) inUse++;
    return { size: this.end - this.start + 1, inUse };
  }
}

function takenElsewhere(ip: string): string {
  return `address ${ip} is taken by another instance`;
}
