import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { API_GROUP } from '../../../model/meta.ts';
import { parseLabelSelector } from '../../selector.ts';

/**
 * A small stand-in for the Kubernetes API server, serving custom resources of one group
 * and core v1 Secrets the way the real one does (API conventions: list/get/create/replace/delete,
 * Status objects with 404/409/410, resourceVersion preconditions, newline-delimited watch
 * streams from a resourceVersion, label selectors on lists and watches, Secret `data` as base64
 * that a bad value fails with 400). Built from the published API shapes, not from a real
 * cluster: just enough to test the kubernetes backend and the swarm's entries on loopback.
 */
export interface KubeTestServer {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** Forgets the event history: a watch from any older resourceVersion gets 410 Gone. */
  compact(): void;
  close(): Promise<void>;
}

type Obj = { apiVersion: string; kind: string; metadata: Record<string, unknown> & { name: string; resourceVersion?: string } } & Record<string, unknown>;
interface Event {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  key: string; // "<namespace>/<plural>"
  object: Obj;
  rev: number;
}

const ROUTE = /^\/apis\/([^/]+)\/([^/]+)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/;
/** The one core-group resource served: Secrets (the swarm keeps its entries there). */
const CORE_ROUTE = /^\/api\/v1\/namespaces\/([^/]+)\/(secrets)(?:\/([^/]+))?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** What the real API server refuses in a Secret before storing it (name, base64 data), or undefined. */
function invalidSecret(body: Obj): string | undefined {
  if (!DNS_SUBDOMAIN.test(body.metadata?.name ?? '')) return `Secret "${body.metadata?.name}" is invalid: metadata.name: must be a lowercase RFC 1123 subdomain`;
  for (const [k, v] of Object.entries((body.data as Record<string, unknown> | undefined) ?? {})) {
    if (typeof v !== 'string' || !BASE64.test(v)) return `Secret in version "v1" cannot be handled as a Secret: illegal base64 data in data.${k}`;
  }
  return undefined;
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Obj | undefined> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? (JSON.parse(text) as Obj) : undefined;
}

export async function startKubeTestServer(group = API_GROUP): Promise<KubeTestServer> {
  const collections = new Map<string, Map<string, Obj>>(); // "<ns>/<plural>" -> name -> object
  const history: Event[] = [];
  const watchers = new Set<{ key: string; res: ServerResponse; match: (labels?: Record<string, string>) => boolean }>();
  let revision = 0;
  let oldestKept = 0; // a watch from below this revision is Gone

  const bucket = (key: string) => collections.get(key) ?? collections.set(key, new Map()).get(key)!;

  function emit(type: Event['type'], key: string, object: Obj, rev: number): void {
    const e = { type, key, object, rev };
    history.push(e);
    for (const w of watchers) if (w.key === key && w.match(object.metadata.labels as Record<string, string> | undefined)) w.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  function list(res: ServerResponse, key: string, kind: string, url: URL): void {
    let match: ReturnType<typeof parseLabelSelector>;
    try {
      match = parseLabelSelector(url.searchParams.get('labelSelector') ?? undefined);
    } catch (e) {
      return status(res, 400, 'BadRequest', (e as Error).message);
    }
    const items = [...bucket(key).values()]
      .filter((o) => match(o.metadata.labels as Record<string, string> | undefined))
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
    send(res, 200, { apiVersion: key.endsWith('/secrets') ? 'v1' : `${group}/v1`, kind: `${kind}List`, metadata: { resourceVersion: String(revision) }, items });
  }

  function watch(req: IncomingMessage, res: ServerResponse, key: string, url: URL): void {
    let match: ReturnType<typeof parseLabelSelector>;
    try {
      match = parseLabelSelector(url.searchParams.get('labelSelector') ?? undefined);
    } catch (e) {
      return status(res, 400, 'BadRequest', (e as Error).message);
    }
    const from = url.searchParams.get('resourceVersion');
    const fromRev = from ? Number(from) : revision;
    if (fromRev < oldestKept) return status(res, 410, 'Expired', `too old resource version: ${fromRev} (${oldestKept})`);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders(); // the client's watch() returns once it has the headers
    for (const e of history) if (e.key === key && e.rev > fromRev && match(e.object.metadata.labels as Record<string, string> | undefined)) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    const w = { key, res, match };
    watchers.add(w);
    req.on('close', () => watchers.delete(w));
  }

  function create(res: ServerResponse, key: string, body: Obj): void {
    const b = bucket(key);
    const name = body.metadata?.name;
    if (b.has(name)) return status(res, 409, 'AlreadyExists', `"${name}" already exists`);
    const rev = ++revision;
    const obj: Obj = { ...body, metadata: { ...body.metadata, namespace: key.split('/')[0], uid: randomUUID(), resourceVersion: String(rev), creationTimestamp: new Date().toISOString(), generation: 1 } };
    b.set(name, obj);
    emit('ADDED', key, obj, rev);
    send(res, 201, obj);
  }

  function replace(res: ServerResponse, key: string, name: string, body: Obj): void {
    const current = bucket(key).get(name);
    if (!current) return status(res, 404, 'NotFound', `"${name}" not found`);
    const rv = body.metadata?.resourceVersion;
    if (rv !== undefined && rv !== current.metadata.resourceVersion) {
      return status(res, 409, 'Conflict', `Operation cannot be fulfilled on "${name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    const rev = ++revision;
    const { uid, creationTimestamp, namespace } = current.metadata;
    const obj: Obj = { ...body, metadata: { ...body.metadata, uid, creationTimestamp, namespace, resourceVersion: String(rev) } };
    bucket(key).set(name, obj);
    emit('MODIFIED', key, obj, rev);
    send(res, 200, obj);
  }

  function remove(res: ServerResponse, key: string, name: string, body: { preconditions?: { resourceVersion?: string } } | undefined): void {
    const current = bucket(key).get(name);
    if (!current) return status(res, 404, 'NotFound', `"${name}" not found`);
    const rv = body?.preconditions?.resourceVersion;
    if (rv !== undefined && rv !== current.metadata.resourceVersion) {
      return status(res, 409, 'Conflict', `Precondition failed: ResourceVersion in precondition: ${rv}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
    }
    bucket(key).delete(name);
    const rev = ++revision;
    const gone: Obj = { ...current, metadata: { ...current.metadata, resourceVersion: String(rev) } };
    emit('DELETED', key, gone, rev);
    send(res, 200, gone);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = ROUTE.exec(url.pathname);
    const core = CORE_ROUTE.exec(url.pathname);
    if (!core && (!m || m[1] !== group || m[2] !== 'v1')) return status(res, 404, 'NotFound', `no route for ${url.pathname}`);
    const [ns, plural, name] = core ? core.slice(1) : m!.slice(3);
    const key = `${ns}/${plural}`;
    const kind = core ? 'Secret' : plural; // only used to name the list kind
    const body = req.method === 'GET' ? undefined : await readBody(req);
    const refused = core && body && req.method !== 'DELETE' ? invalidSecret(body) : undefined;
    if (refused) return status(res, 400, 'BadRequest', refused);
    if (req.method === 'GET' && !name) {
      const w = url.searchParams.get('watch');
      return w === 'true' || w === '1' ? watch(req, res, key, url) : list(res, key, kind, url);
    }
    if (req.method === 'GET') {
      const obj = bucket(key).get(name);
      return obj ? send(res, 200, obj) : status(res, 404, 'NotFound', `"${name}" not found`);
    }
    if (req.method === 'POST' && !name) return create(res, key, body!);
    if (req.method === 'PUT' && name) return replace(res, key, name, body!);
    if (req.method === 'DELETE' && name) return remove(res, key, name, body as never);
    return status(res, 405, 'MethodNotAllowed', `${req.method} not allowed on ${url.pathname}`);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => status(res, 500, 'InternalError', String(e)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    compact: () => {
      history.length = 0;
      oldestKept = revision;
    },
    close: async () => {
      for (const w of watchers) w.res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
