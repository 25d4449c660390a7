/**
 * Where leases live. The server keeps its working index in memory and writes bound and
 * declined addresses through this interface, waiting for the write before it ACKs, so a
 * durable store means a restart never hands out an address twice.
 *
 * A bound lease is written with `claim`, a compare-and-set: it succeeds only if no one else
 * holds the address (see mayReplace). A store shared by several instances (etcd, swarm mode)
 * makes that check atomic across instances, so the loser of a race learns it before it ACKs.
 */
export interface Lease {
  ip: string;
  /** Canonical MAC (lower-case, colons); '' for an address declined by a client. */
  mac: string;
  /** 'bound': ACKed; 'declined': a client said the address is in use (RFC 2131 4.3.3). */
  state: 'bound' | 'declined';
  /** Milliseconds since the Unix epoch when the lease (or the decline hold) ends. */
  expiresAt: number;
  hostName?: string;
}

/** What a claim came to: written, or refused because `holder` has the address. */
export type ClaimResult = { ok: true } | { ok: false; holder: Lease };

export interface LeaseStore {
  get(ip: string): Promise<Lease | undefined>;
  /**
   * Insert or replace the lease for lease.ip, for declines (which may always be written).
   * Resolves once durable. A shared store may reject when another instance holds the address.
   */
  put(lease: Lease): Promise<void>;
  /**
   * Writes `lease` only if mayReplace allows it against what the store has, as one atomic
   * step; resolves once durable, or with the holder when refused. Bound leases go this way.
   */
  claim(lease: Lease): Promise<ClaimResult>;
  list(): Promise<Lease[]>;
  /**
   * Forget the address (RELEASE, or an expired decline). With `mac`, only if the address is
   * still that MAC's, so a client never frees what someone else holds now. Resolves once durable.
   */
  release(ip: string, mac?: string): Promise<void>;
}

/**
 * Whether `next` may replace `current` at the same address (the claim rule). Pure. A decline
 * may always be written: it only keeps an address out of use.
 */
export function mayReplace(current: Lease, next: Lease, now: number): boolean {
  if (next.state === 'declined') return true;
  if (current.expiresAt <= now) return true;
  return current.state === 'bound' && current.mac === next.mac;
}

/**
 * claim, put and release for a store held in one process's memory (a Map). `changed` runs
 * after each change and resolves once it is durable (the file store writes its file there).
 */
export function mapLeaseOps(leases: Map<string, Lease>, now: () => number, changed: () => Promise<void>): Pick<LeaseStore, 'put' | 'claim' | 'release'> {
  return {
    put: (lease) => {
      leases.set(lease.ip, { ...lease });
      return changed();
    },
    claim: async (lease) => {
      const current = leases.get(lease.ip);
      if (current && !mayReplace(current, lease, now())) return { ok: false, holder: { ...current } };
      leases.set(lease.ip, { ...lease });
      await changed();
      return { ok: true };
    },
    release: (ip, mac) => {
      const current = leases.get(ip);
      if (!current || (mac !== undefined && current.mac !== mac)) return Promise.resolve();
      leases.delete(ip);
      return changed();
    },
  };
}

export interface MemoryLeaseStoreOptions {
  /** Milliseconds since the epoch, to judge expiry in claim. Default Date.now. */
  now?: () => number;
}

export function createMemoryLeaseStore(initial: Lease[] = [], opts: MemoryLeaseStoreOptions = {}): LeaseStore {
  const leases = new Map(initial.map((l) => [l.ip, { ...l }]));
  return {
    get: async (ip) => {
      const l = leases.get(ip);
      return l && { ...l };
    },
    list: async () => [...leases.values()].map((l) => ({ ...l })),
    ...mapLeaseOps(leases, opts.now ?? Date.now, async () => {}),
  };
}
