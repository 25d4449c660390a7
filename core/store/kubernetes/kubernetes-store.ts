import { CustomObjectsApi, type KubeConfig, Watch } from '@kubernetes/client-node';
import { DragonflyError, conflict, notFound } from '../../shared/errors.ts';
import { discardLogger, type Logger } from '../../shared/logger.ts';
import { kindNames, kinds, type Kind } from '../../model/kinds.ts';
import { API_GROUP, type ObjectMeta, type StoredObject } from '../../model/meta.ts';
import { parseLabelSelector } from '../selector.ts';
import { httpCodeOf, loadKubeTarget, reasonOf, type HttpError, type KubeTarget } from './kube-config.ts';
import type { ListOptions, ListResult, Store, Unwatch, WatchEvent, WatchEventType, WatchOptions } from '../store.ts';

export interface KubernetesStoreOptions extends KubeTarget {
  /** Default: discardLogger. Logs watches the API server ends. */
  logger?: Logger;
}

const VERSION = 'v1';

/** Only the metadata our objects carry; the server's extras (namespace, generation, managedFields) stay behind. */
function ourMetadata(m: Record<string, unknown>): ObjectMeta {
  const out: Record<string, unknown> = {};
  for (const k of ['name', 'uid', 'resourceVersion', 'labels', 'annotations', 'creationTimestamp']) if (m[k] !== undefined) out[k] = m[k];
  return out as ObjectMeta;
}

const fromServer = (o: unknown): StoredObject => {
  const obj = o as StoredObject;
  return { ...obj, metadata: ourMetadata(obj.metadata as unknown as Record<string, unknown>) };
};

/** Custom resources (group dragonfly.computer/v1) in a Kubernetes cluster, as the Store. */
export async function createKubernetesStore(opts: KubernetesStoreOptions = {}): Promise<Store> {
  const { kc, server, namespace } = loadKubeTarget(opts);
  const store = new KubernetesStore(kc, namespace, server, opts.logger ?? discardLogger);
  await store.revision(); // fail the start, not the first request, when the API is unreachable
  return store;
}

class KubernetesStore implements Store {
  readonly backend = 'kubernetes';
  private readonly api: CustomObjectsApi;
  private readonly watches = new Set<AbortController>();

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
    private readonly server: string,
    private readonly logger: Logger,
  ) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  private target(kind: Kind) {
    return { group: API_GROUP, version: VERSION, namespace: this.namespace, plural: kinds[kind].plural };
  }

  /** Maps API errors to our codes; `what` names the object in messages. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const e = err as HttpError;
      const code = httpCodeOf(e);
      if (code === 400) throw new DragonflyError('DF_ERR_INVALID', `Kubernetes API at ${this.server} rejected ${what}: ${e.message}`);
      if (code === 404) throw notFound(what);
      if (code === 409 && reasonOf(e) === 'AlreadyExists') throw new DragonflyError('DF_ERR_ALREADY_EXISTS', `${what} already exists`);
      if (code === 409) throw conflict(`${what} was changed by someone else; read it again and retry`);
      if (code === 410) throw new DragonflyError('DF_ERR_GONE', `${what}: the API server no longer has that history; list again`);
      if (typeof code === 'number') throw new DragonflyError('DF_ERR_UNAVAILABLE', `Kubernetes API at ${this.server} answered ${code} for ${what}: ${e.message}`);
      throw new DragonflyError('DF_ERR_UNAVAILABLE', `cannot reach the Kubernetes API at ${this.server}: ${e.message}`);
    }
  }

  async get<T extends StoredObject>(kind: Kind, name: string): Promise<T> {
    const o = await this.call(`${kind} "${name}"`, () => this.api.getNamespacedCustomObject({ ...this.target(kind), name }));
    return fromServer(o) as T;
  }

  async list<T extends StoredObject>(kind: Kind, opts: ListOptions = {}): Promise<ListResult<T>> {
    parseLabelSelector(opts.labelSelector); // a bad selector is DF_ERR_INVALID here, with our message
    const res = (await this.call(`${kind} list`, () =>
      this.api.listNamespacedCustomObject({ ...this.target(kind), labelSelector: opts.labelSelector || undefined }),
    )) as { items: unknown[]; metadata: { resourceVersion: string } };
    const items = res.items.map((o) => fromServer(o) as T).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    return { items, revision: Number(res.metadata.resourceVersion) };
  }

  async create<T extends StoredObject>(obj: T): Promise<T> {
    const { uid: _u, resourceVersion: _r, creationTimestamp: _c, ...metadata } = obj.metadata;
    const body = { ...obj, metadata };
    const o = await this.call(`${obj.kind} "${obj.metadata.name}"`, () => this.api.createNamespacedCustomObject({ ...this.target(obj.kind as Kind), body }));
    return fromServer(o) as T;
  }

  async update<T extends StoredObject>(obj: T): Promise<T> {
    const kind = obj.kind as Kind;
    const name = obj.metadata.name;
    // Kubernetes treats a replace without resourceVersion as unconditional; we never write blind.
    if (obj.metadata.resourceVersion === undefined) {
      await this.get(kind, name);
      throw conflict(`update of ${kind} "${name}" must carry the resourceVersion it read`);
    }
    const o = await this.call(`${kind} "${name}"`, () => this.api.replaceNamespacedCustomObject({ ...this.target(kind), name, body: obj }));
    return fromServer(o) as T;
  }

  async delete(kind: Kind, name: string, opts: { resourceVersion?: string } = {}): Promise<void> {
    const body = opts.resourceVersion !== undefined ? { preconditions: { resourceVersion: opts.resourceVersion } } : undefined;
    await this.call(`${kind} "${name}"`, () => this.api.deleteNamespacedCustomObject({ ...this.target(kind), name, body }));
  }

  async watch(opts: WatchOptions, onEvent: (e: WatchEvent) => void): Promise<Unwatch> {
    // Without a resourceVersion the API server first replays every object as ADDED; start from now instead.
    const from = opts.fromRevision ?? (await this.revision());
    const started: AbortController[] = [];
    try {
      for (const kind of opts.kind ? [opts.kind] : kindNames) started.push(await this.watchKind(kind, from, onEvent));
    } catch (e) {
      for (const c of started) c.abort();
      throw e;
    }
    for (const c of started) this.watches.add(c);
    return () => {
      for (const c of started) {
        c.abort();
        this.watches.delete(c);
      }
    };
  }

  private async watchKind(kind: Kind, from: number, onEvent: (e: WatchEvent) => void): Promise<AbortController> {
    const t = this.target(kind);
    const path = `/apis/${t.group}/${t.version}/namespaces/${t.namespace}/${t.plural}`;
    let startError: HttpError | undefined;
    let starting = true;
    const controller = await new Watch(this.kc).watch(
      path,
      { resourceVersion: String(from) },
      (type: string, obj: unknown) => {
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
          const object = fromServer(obj);
          onEvent({ type: type as WatchEventType, kind, object, revision: Number(object.metadata.resourceVersion) });
        } else if (type === 'ERROR') {
          this.logger.error({ status: obj }, `the Kubernetes API ended the ${kind} watch: ${(obj as { message?: string }).message}`);
        }
      },
      (err: HttpError | null) => {
        if (starting) startError = err ?? undefined;
        else if (err && (err as { name?: string }).name !== 'AbortError') this.logger.warn({ err }, `the ${kind} watch on ${this.server} ended: ${err.message}`);
      },
    );
    starting = false;
    if (startError) await this.call(`a ${kind} watch from revision ${from}`, () => Promise.reject(startError));
    return controller;
  }

  async revision(): Promise<number> {
    const res = (await this.call('the current revision', () =>
      this.api.listNamespacedCustomObject({ ...this.target('Hardware'), limit: 1 }),
    )) as { metadata: { resourceVersion: string } };
    return Number(res.metadata.resourceVersion);
  }

  async close(): Promise<void> {
    for (const c of this.watches) c.abort();
    this.watches.clear();
  }
}
