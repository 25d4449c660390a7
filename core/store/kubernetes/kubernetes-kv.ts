/**
 * SharedKv over Kubernetes (the swarm's identity, sealed secrets, join records and published
 * images, issue 18): one Secret per entry, so the cluster's RBAC guards them as it guards every
 * other secret. The value is already sealed under the swarm data key where it is a secret (the
 * SharedKv's users do that); the Secret only carries it. Names are derived from the key (Kubernetes
 * names allow neither "/" nor ":"), the key itself is an annotation. Kubernetes has no TTL, so an
 * entry carries its expiry: reads ignore an expired entry and every instance deletes the expired
 * ones it sees, which is what tells the watchers (a dead instance's published images go away).
 */
import { createHash } from 'node:crypto';
import { CoreV1Api, Watch, type V1Secret } from '@kubernetes/client-node';
import { DragonflyError } from '../../shared/errors.ts';
import { discardLogger, type Logger } from '../../shared/logger.ts';
import type { KvEntry, KvPutOptions, SharedKv } from '../../shared/shared-kv.ts';
import { httpCodeOf, loadKubeTarget, reasonOf, type HttpError, type KubeTarget } from './kube-config.ts';

export interface KubernetesKvOptions extends KubeTarget {
  /** Seconds between two sweeps of expired entries. Default 2; 0 is refused. */
  sweepSeconds?: number;
  now?: () => number;
  logger?: Logger;
}

export const ENTRY_LABEL = 'dragonfly.computer/swarm-entry';
export const KEY_ANNOTATION = 'dragonfly.computer/key';
const EXPIRES_ANNOTATION = 'dragonfly.computer/expires-at';
const SECRET_TYPE = 'dragonfly.computer/swarm-entry';

/** The Secret's name for a key: a DNS label, stable on every instance. */
export const secretNameOf = (key: string) => `dragonfly-swarm-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;

export async function openKubernetesKv(o: KubernetesKvOptions = {}): Promise<SharedKv> {
  const { kc, server, namespace } = loadKubeTarget(o);
  const sweep = o.sweepSeconds ?? 2;
  if (!(sweep > 0)) throw new DragonflyError('DF_ERR_INVALID', `the sweep of expired swarm entries needs an interval above 0 seconds, not ${sweep}`);
  const kv = new KubernetesKv(kc.makeApiClient(CoreV1Api), new Watch(kc), namespace, server, o.now ?? Date.now, o.logger ?? discardLogger);
  await kv.list(''); // fail the start, not the first request, when the API is unreachable
  kv.startSweeping(sweep);
  return kv;
}

interface Decoded extends KvEntry {
  expired: boolean;
}

class KubernetesKv implements SharedKv {
  readonly description: string;
  private readonly watches = new Set<AbortController>();
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly api: CoreV1Api,
    private readonly watcher: Watch,
    private readonly namespace: string,
    private readonly server: string,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {
    this.description = `Kubernetes ${server}, Secrets labelled ${ENTRY_LABEL} in namespace ${namespace}`;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const code = httpCodeOf(e as HttpError);
      const why = code === undefined ? `cannot reach it: ${(e as Error).message}` : `it answered ${code} (${reasonOf(e as HttpError) ?? (e as Error).message})`;
      throw new DragonflyError('DF_ERR_UNAVAILABLE', `${this.description}: cannot ${what}: ${why}`);
    }
  }

  /** undefined on 404; `refused` on 409 (someone else wrote first, or it exists already). */
  private async attempt<T>(what: string, fn: () => Promise<T>): Promise<T | undefined | 'refused'> {
    try {
      return await fn();
    } catch (e) {
      const code = httpCodeOf(e as HttpError);
      if (code === 404) return undefined;
      if (code === 409) return 'refused';
      return this.call(what, () => Promise.reject(e as Error));
    }
  }

  private decode(s: V1Secret): Decoded | undefined {
    const key = s.metadata?.annotations?.[KEY_ANNOTATION];
    const b64 = s.data?.value;
    if (key === undefined || b64 === undefined) return undefined;
    const expires = s.metadata?.annotations?.[EXPIRES_ANNOTATION];
    const expired = expires !== undefined && Date.parse(expires) <= this.now();
    return { key, value: Buffer.from(b64, 'base64').toString('utf8'), version: s.metadata?.resourceVersion ?? '', expired };
  }

  private body(key: string, value: string, opts: KvPutOptions, resourceVersion?: string): V1Secret {
    const annotations: Record<string, string> = { [KEY_ANNOTATION]: key };
    if (opts.ttlSeconds) annotations[EXPIRES_ANNOTATION] = new Date(this.now() + opts.ttlSeconds * 1000).toISOString();
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      type: SECRET_TYPE,
      metadata: { name: secretNameOf(key), labels: { [ENTRY_LABEL]: 'true', 'app.kubernetes.io/managed-by': 'dragonfly' }, annotations, resourceVersion },
      data: { value: Buffer.from(value, 'utf8').toString('base64') },
    };
  }

  private async read(key: string): Promise<Decoded | undefined> {
    const s = await this.attempt(`read ${key}`, () => this.api.readNamespacedSecret({ name: secretNameOf(key), namespace: this.namespace }));
    return s === undefined || s === 'refused' ? undefined : this.decode(s);
  }

  async get(key: string): Promise<KvEntry | undefined> {
    const e = await this.read(key);
    return e && !e.expired ? { key: e.key, value: e.value, version: e.version } : undefined;
  }

  private async listAll(): Promise<{ entries: Decoded[]; revision: string }> {
    const res = await this.call('list the swarm entries', () => this.api.listNamespacedSecret({ namespace: this.namespace, labelSelector: `${ENTRY_LABEL}=true` }));
    const entries = res.items.map((s) => this.decode(s)).filter((e): e is Decoded => e !== undefined);
    return { entries, revision: res.metadata?.resourceVersion ?? '' };
  }

  async list(prefix: string): Promise<KvEntry[]> {
    const { entries } = await this.listAll();
    return entries
      .filter((e) => !e.expired && e.key.startsWith(prefix))
      .map(({ key, value, version }) => ({ key, value, version }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async put(key: string, value: string, opts: KvPutOptions = {}): Promise<boolean> {
    const name = secretNameOf(key);
    const replace = (rv?: string) => this.attempt(`write ${key}`, () => this.api.replaceNamespacedSecret({ name, namespace: this.namespace, body: this.body(key, value, opts, rv) }));
    if (opts.ifVersion !== undefined && opts.ifVersion !== '') {
      const current = await this.read(key);
      if (!current || current.expired || current.version !== opts.ifVersion) return false;
      return typeof (await replace(opts.ifVersion)) === 'object';
    }
    const created = await this.attempt(`write ${key}`, () => this.api.createNamespacedSecret({ namespace: this.namespace, body: this.body(key, value, opts) }));
    if (created !== 'refused') return true;
    const current = await this.read(key);
    // '' means "only if absent": an expired entry counts as absent, as etcd would have dropped it
    if (opts.ifVersion === '' && current && !current.expired) return false;
    return typeof (await replace(opts.ifVersion === '' ? current?.version : undefined)) === 'object';
  }

  async delete(key: string): Promise<void> {
    await this.attempt(`delete ${key}`, () => this.api.deleteNamespacedSecret({ name: secretNameOf(key), namespace: this.namespace }));
  }

  async watch(prefix: string, onChange: (key: string, value: string | undefined) => void): Promise<() => void> {
    const known = new Map<string, string>();
    const controller = { current: undefined as AbortController | undefined, stopped: false };
    const note = (key: string, value: string | undefined) => {
      if (!key.startsWith(prefix) || known.get(key) === value) return;
      if (value === undefined) known.delete(key);
      else known.set(key, value);
      onChange(key, value);
    };
    const start = async (replay: boolean): Promise<void> => {
      const { entries, revision } = await this.listAll();
      const live = new Map(entries.filter((e) => !e.expired && e.key.startsWith(prefix)).map((e) => [e.key, e.value]));
      if (replay) {
        for (const k of [...known.keys()]) if (!live.has(k)) note(k, undefined);
        for (const [k, v] of live) note(k, v);
      } else for (const [k, v] of live) known.set(k, v);
      if (controller.current) this.watches.delete(controller.current);
      controller.current = await this.watchFrom(revision, (type, s) => {
        const e = this.decode(s);
        if (e) note(e.key, type === 'DELETED' || e.expired ? undefined : e.value);
      }, () => {
        if (!controller.stopped) setTimeout(() => void start(true).catch((err: Error) => this.log.warn({ err: err.message }, 'swarm entry watch could not restart')), 1000).unref();
      });
      this.watches.add(controller.current);
    };
    await start(false);
    return () => {
      controller.stopped = true;
      controller.current?.abort();
      if (controller.current) this.watches.delete(controller.current);
    };
  }

  /** A watch of the entries from `revision`; `ended` is called when the server ends it (not when aborted). */
  private async watchFrom(revision: string, onEvent: (type: string, s: V1Secret) => void, ended: () => void): Promise<AbortController> {
    const path = `/api/v1/namespaces/${this.namespace}/secrets`;
    let aborted = false;
    const c = await this.call('watch the swarm entries', () =>
      this.watcher.watch(path, { resourceVersion: revision, labelSelector: `${ENTRY_LABEL}=true` }, (type: string, obj: unknown) => onEvent(type, obj as V1Secret), (err: HttpError | null) => {
        if (aborted || (err as { name?: string } | null)?.name === 'AbortError') return;
        this.log.warn({ err: err?.message }, `the swarm entry watch on ${this.server} ended; listing again`);
        ended();
      }),
    );
    const abort = c.abort.bind(c);
    c.abort = (reason?: unknown) => {
      aborted = true;
      abort(reason);
    };
    return c;
  }

  startSweeping(seconds: number): void {
    this.sweeper = setInterval(() => void this.sweep().catch((e: Error) => this.log.debug({ err: e.message }, 'sweep of expired swarm entries failed')), seconds * 1000);
    this.sweeper.unref();
  }

  /** Deletes the expired entries, each only if nobody refreshed it meanwhile (resourceVersion precondition). */
  private async sweep(): Promise<void> {
    const { entries } = await this.listAll();
    for (const e of entries.filter((x) => x.expired)) {
      await this.attempt(`delete ${e.key}`, () => this.api.deleteNamespacedSecret({ name: secretNameOf(e.key), namespace: this.namespace, body: { preconditions: { resourceVersion: e.version } } }));
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const c of this.watches) c.abort();
    this.watches.clear();
  }
}
