import type { Kind } from '../model/kinds.ts';
import type { StoredObject } from '../model/meta.ts';

export interface ListOptions {
  /** Kubernetes-style label selector: "rack=r1,env!=prod,gpu,!retired,zone in (a,b)". */
  labelSelector?: string;
}

export interface ListResult<T = StoredObject> {
  items: T[];
  /** Store revision the list reflects; a watch from here misses nothing. */
  revision: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  kind: Kind;
  object: StoredObject;
  /** Monotonic store revision of this change. */
  revision: number;
}

export interface WatchOptions {
  kind?: Kind;
  /** Replay every event after this revision first; too old for the backend's history → DF_ERR_GONE. */
  fromRevision?: number;
}

export type Unwatch = () => void;

/**
 * The one storage interface (DESIGN.md §7). Writes use optimistic concurrency: update and
 * delete carry the resourceVersion they read, and a stale one fails with DF_ERR_CONFLICT.
 * Nothing in the control plane writes blind.
 */
export interface Store {
  readonly backend: string;
  get<T extends StoredObject = StoredObject>(kind: Kind, name: string): Promise<T>;
  list<T extends StoredObject = StoredObject>(kind: Kind, opts?: ListOptions): Promise<ListResult<T>>;
  /** Sets uid, resourceVersion and creationTimestamp; a taken name → DF_ERR_ALREADY_EXISTS. */
  create<T extends StoredObject>(obj: T): Promise<T>;
  /** metadata.resourceVersion must be the one read; otherwise DF_ERR_CONFLICT. */
  update<T extends StoredObject>(obj: T): Promise<T>;
  delete(kind: Kind, name: string, opts?: { resourceVersion?: string }): Promise<void>;
  watch(opts: WatchOptions, onEvent: (e: WatchEvent) => void): Promise<Unwatch>;
  /** Current store revision. */
  revision(): Promise<number>;
  close(): Promise<void>;
}
