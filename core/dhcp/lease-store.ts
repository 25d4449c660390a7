/**
 * Where leases live. The server keeps its working index in memory and writes bound and
 * declined addresses through this interface, waiting for `put` before it ACKs, so a durable
 * store means a restart never hands out an address twice.
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

export interface LeaseStore {
  get(ip: string): Promise<Lease | undefined>;
  /** Insert or replace the lease for lease.ip. Resolves once the write is durable. */
  put(lease: Lease): Promise<void>;
  list(): Promise<Lease[]>;
  /** Forget the address (RELEASE, or an expired decline). Resolves once durable. */
  release(ip: string): Promise<void>;
}

export function createMemoryLeaseStore(initial: Lease[] = []): LeaseStore {
  const leases = new Map(initial.map((l) => [l.ip, { ...l }]));
  return {
    get: async (ip) => {
      const l = leases.get(ip);
      return l && { ...l };
    },
    put: async (lease) => {
      leases.set(lease.ip, { ...lease });
    },
    list: async () => [...leases.values()].map((l) => ({ ...l })),
    release: async (ip) => {
      leases.delete(ip);
    },
  };
}
