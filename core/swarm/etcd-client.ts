/**
 * The etcd client that swarm mode uses for leader election and DHCP leases. It differs from
 * the Store backend's client on purpose: etcd3's default fault handling (three retries, and
 * a per-host circuit breaker that stays open for 5 s after three failures) would hide an
 * unreachable etcd from the election for longer than the leader lease lives, and would delay
 * the comeback by up to 5 s. Here every call fails fast and the callers retry on their own
 * schedule.
 */
import { Etcd3, type IOptions } from 'etcd3';
import { DragonflyError } from '../shared/errors.ts';

export interface SwarmEtcdOptions {
  /** Client URLs, e.g. ["http://10.0.0.5:2379"]. Required, at least one. */
  endpoints: string[];
  /** Deadline of each unary etcd call, ms. Default 1000. Must be > 0 (a hung call would outlive the leader lease). */
  requestTimeoutMs?: number;
}

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/** A pass-through policy: run the call once, no retry, no breaker. */
const passThrough = {
  execute: (fn: (ctx: { signal: AbortSignal }) => unknown, signal?: AbortSignal) => Promise.resolve().then(() => fn({ signal: signal ?? new AbortController().signal })),
} as unknown as Policy;

export function connectSwarmEtcd(opts: SwarmEtcdOptions): Etcd3 {
  if (!opts.endpoints?.length) throw new DragonflyError('DF_ERR_INVALID', 'swarm mode needs at least one etcd endpoint');
  const timeout = opts.requestTimeoutMs ?? 1000;
  if (!(timeout > 0)) throw new DragonflyError('DF_ERR_INVALID', 'swarm etcd requestTimeoutMs must be > 0');
  return new Etcd3({
    hosts: opts.endpoints,
    dialTimeout: timeout,
    faultHandling: { host: () => passThrough, global: passThrough },
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
  });
}

/** Rejects after `ms` unless `p` settles first (for etcd streams, which have no deadline). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer from etcd within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
