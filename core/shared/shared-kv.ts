/**
 * A small key-value view of the shared backend, for what several instances of one swarm must
 * agree on that is not a stored object: the operator identity, the wrapped data key, join
 * records and sealed secrets. Services depend on this interface; only core/app picks the
 * implementation (etcd in core/swarm).
 */
export interface KvEntry {
  key: string;
  value: string;
  /** Opaque version (etcd's mod revision): what a compare-and-set compares. */
  version: string;
}

export interface KvPutOptions {
  /** Write only if the key is still at this version; '' means only if it does not exist. */
  ifVersion?: string;
  /** The key disappears on its own after this many seconds (join records, sessions). 0 or absent: never. */
  ttlSeconds?: number;
}

export interface SharedKv {
  /** Where the entries live, for messages ("etcd http://10.0.0.5:2379 under /dragonfly/swarm/"). */
  readonly description: string;
  get(key: string): Promise<KvEntry | undefined>;
  /** Every entry whose key starts with `prefix`, in key order. */
  list(prefix: string): Promise<KvEntry[]>;
  /** False when `ifVersion` was given and someone else wrote first. */
  put(key: string, value: string, opts?: KvPutOptions): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Calls `onChange` for each later change under `prefix` (`value` undefined: deleted). */
  watch(prefix: string, onChange: (key: string, value: string | undefined) => void): Promise<() => void>;
  close(): Promise<void>;
}
