import type { FastifyInstance } from 'fastify';
import { parseAllDocuments } from 'yaml';
import Type from 'typebox';
import { kinds, kindNames, validateObject, type Kind } from '../model/kinds.ts';
import type { StoredObject } from '../model/meta.ts';
import { initialState } from '../model/lifecycle.ts';
import { DragonflyError, invalid, isDragonflyError } from '../shared/errors.ts';
import type { Store } from '../store/store.ts';
import { mutate } from '../store/mutate.ts';
import { validateTemplateSemantics } from '../workflow/template-rules.ts';
import { refuseSharedMacs } from '../inventory/mac-ownership.ts';

export interface ObjectsDeps {
  store: Store;
}

const PATCHABLE_SPEC = new Set(['tags', 'bmc', 'displayName']);

/** Objects posted by an operator carry no server-owned metadata; a stale resourceVersion is the caller's to send. */
function checkObject(body: unknown, kind?: Kind, name?: string): StoredObject {
  const obj = validateObject(body);
  if (kind && obj.kind !== kind) throw invalid(`/kind: this route takes ${kind}, the body is a ${obj.kind}`);
  if (name && obj.metadata.name !== name) throw invalid(`/metadata/name: "${obj.metadata.name}" does not match the URL's "${name}"`);
  if (obj.kind === 'Template') validateTemplateSemantics(obj.spec as never);
  return obj;
}

/** YAML (one or many documents), a JSON object, or {items:[...]} → a list of objects. */
export function parseManifest(body: unknown, contentType: string | undefined): unknown[] {
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const text = body.toString();
    const docs = parseAllDocuments(text);
    const out: unknown[] = [];
    for (const d of docs) {
      if (d.errors.length) throw invalid(`malformed ${contentType?.includes('json') ? 'JSON' : 'YAML'}: ${d.errors[0].message}`);
      const v = yamlValue(d);
      if (v !== null && v !== undefined) out.push(v);
    }
    return out.flatMap((v) => unwrapList(v));
  }
  return unwrapList(body);
}

/**
 * The document's value. toJS() throws on alias bombs (the yaml library's maxAliasCount guard)
 * and on other structural problems; those are the sender's fault, so a 400 naming it.
 */
function yamlValue(d: ReturnType<typeof parseAllDocuments>[number]): unknown {
  try {
    return d.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw invalid(`malformed YAML: ${(e as Error).message}`);
  }
}

function unwrapList(v: unknown): unknown[] {
  if (v && typeof v === 'object' && !Array.isArray(v) && 'items' in v && !('kind' in v && (v as { kind: string }).kind !== 'List')) {
    const items = (v as { items: unknown }).items;
    if (!Array.isArray(items)) throw invalid('/items: must be a list of objects');
    return items;
  }
  if (Array.isArray(v)) return v;
  return [v];
}

export async function objectsPlugin(app: FastifyInstance, deps: ObjectsDeps): Promise<void> {
  const { store } = deps;

  for (const kind of kindNames) {
    const base = `/api/v1/${kinds[kind].plural}`;
    app.get<{ Querystring: { labelSelector?: string } }>(base, { schema: { tags: [kind], summary: `List ${kind}` } }, async (req) =>
      store.list(kind, { labelSelector: req.query.labelSelector }),
    );
    app.get<{ Params: { name: string } }>(`${base}/:name`, { schema: { tags: [kind], summary: `Get one ${kind}` } }, async (req) =>
      store.get(kind, req.params.name),
    );
    app.post(base, { schema: { tags: [kind], summary: `Create a ${kind}` } }, async (req, reply) => {
      const obj = checkObject(req.body, kind);
      refuseWorkflowCreation(obj);
      await refuseSharedMacs(store, [obj]);
      reply.status(201);
      return store.create(asCreated(obj));
    });
    app.put<{ Params: { name: string } }>(`${base}/:name`, { schema: { tags: [kind], summary: `Replace a ${kind}'s metadata and spec (carry metadata.resourceVersion); status is kept` } }, async (req) => {
      const obj = checkObject(req.body, kind, req.params.name);
      if (!obj.metadata.resourceVersion) throw new DragonflyError('DF_ERR_CONFLICT', '/metadata/resourceVersion: required on update (send the version you read)');
      const existing = await store.get(kind, obj.metadata.name);
      refuseWorkflowSpecChange(existing, obj);
      await refuseSharedMacs(store, [obj]);
      // status is a subresource (Kubernetes' rule): only the lifecycle writes it. The stored
      // one goes back with the caller's version, so a status that changed since is a conflict.
      return store.update({ ...obj, status: existing.status });
    });
    app.delete<{ Params: { name: string }; Querystring: { resourceVersion?: string } }>(`${base}/:name`, { schema: { tags: [kind], summary: `Delete a ${kind}` } }, async (req, reply) => {
      if (kind === 'Workflow') await refuseCurrentWorkflowDelete(store, req.params.name);
      await store.delete(kind, req.params.name, { resourceVersion: req.query.resourceVersion });
      reply.status(204);
    });
  }

  app.patch<{ Params: { name: string } }>('/api/v1/hardware/:name', { schema: { tags: ['Hardware'], summary: 'Merge-patch labels, tags, BMC or display name' } }, async (req) => {
    const patch = req.body as { metadata?: { labels?: Record<string, string | null> }; spec?: Record<string, unknown> };
    if (!patch || typeof patch !== 'object') throw invalid('body must be a JSON merge patch object');
    for (const k of Object.keys(patch.spec ?? {})) if (!PATCHABLE_SPEC.has(k)) throw invalid(`/spec/${k}: not patchable here (patchable: ${[...PATCHABLE_SPEC].join(', ')})`);
    for (const k of Object.keys(patch)) if (k !== 'metadata' && k !== 'spec') throw invalid(`/${k}: not patchable`);
    return mutate(store, 'Hardware', req.params.name, (hw) => {
      const labels = { ...(hw.metadata.labels ?? {}) };
      for (const [k, v] of Object.entries(patch.metadata?.labels ?? {})) {
        if (v === null) delete labels[k];
        else labels[k] = v;
      }
      hw.metadata.labels = labels;
      hw.spec = { ...(hw.spec as object), ...(patch.spec ?? {}) };
      validateObject(hw);
      return hw;
    });
  });

  app.post<{ Body: { machines?: string[]; labelSelector?: string; set?: Record<string, string>; remove?: string[] } }>(
    '/api/v1/hardware/labels',
    {
      schema: {
        tags: ['Hardware'],
        summary: 'Set or remove labels on many machines (by name or label selector); a result per machine',
        body: Type.Object(
          {
            machines: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 10000 })),
            labelSelector: Type.Optional(Type.String()),
            set: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$' }), Type.String({ maxLength: 63 }))),
            remove: Type.Optional(Type.Array(Type.String())),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const names = await selectMachines(store, req.body);
      const results = [];
      for (const name of names) {
        try {
          await mutate(store, 'Hardware', name, (hw) => {
            const labels = { ...(hw.metadata.labels ?? {}), ...(req.body.set ?? {}) };
            for (const k of req.body.remove ?? []) delete labels[k];
            hw.metadata.labels = labels;
            return hw;
          });
          results.push({ machine: name, ok: true });
        } catch (e) {
          results.push({ machine: name, error: { code: isDragonflyError(e) ? e.code : 'DF_ERR_INTERNAL', message: (e as Error).message } });
        }
      }
      return { results };
    },
  );

  app.post('/api/v1/apply', { schema: { tags: ['Objects'], summary: 'Create or update objects (JSON or YAML, one or many)' } }, async (req) => {
    const raw = parseManifest(req.body, req.headers['content-type']);
    if (raw.length === 0) throw invalid('nothing to apply: the body holds no objects');
    // Validate every object before writing any, so a bad document leaves nothing half-applied.
    const objs = raw.map((o, i) => {
      try {
        return checkObject(o);
      } catch (e) {
        if (isDragonflyError(e) && raw.length > 1) throw new DragonflyError(e.code, `object #${i + 1}: ${e.message}`, e.details);
        throw e;
      }
    });
    const seen = new Set<string>();
    for (const o of objs) {
      const key = `${o.kind}/${o.metadata.name}`;
      if (seen.has(key)) throw invalid(`${key} appears twice in one apply`);
      seen.add(key);
    }
    for (const o of objs) if (o.kind === 'Workflow') await checkWorkflowApply(store, o);
    await refuseSharedMacs(store, objs);
    const results = [];
    for (const o of objs) results.push(await applyOne(store, o));
    return { results };
  });
}

/** Machines named explicitly, or matched by a label selector (Flight mode: a rack, a group). */
export async function selectMachines(store: Store, sel: { machines?: string[]; labelSelector?: string }): Promise<string[]> {
  if (sel.machines?.length && sel.labelSelector) throw invalid('give machines or labelSelector, not both');
  if (sel.machines?.length) return [...new Set(sel.machines)];
  if (sel.labelSelector === undefined) throw invalid('give machines (names) or labelSelector');
  return (await store.list('Hardware', { labelSelector: sel.labelSelector })).items.map((o) => o.metadata.name);
}

/**
 * A new object as an operator may create it: no server-owned metadata, and the status a new
 * object starts with, whatever the body said (a machine is Discovered until its agent registers).
 */
function asCreated(o: StoredObject): StoredObject {
  const { uid: _u, resourceVersion: _r, creationTimestamp: _c, ...meta } = o.metadata;
  const { status: _s, ...rest } = o;
  return { ...rest, metadata: meta, ...(o.kind === 'Hardware' ? { status: { state: initialState } } : {}) };
}

/** Workflows come only from assignment, which checks the template and the machine and moves the machine. */
function refuseWorkflowCreation(o: StoredObject): void {
  if (o.kind !== 'Workflow') return;
  const spec = o.spec as { hardwareRef?: string; templateRef?: string };
  throw invalid(
    `Workflow ${o.metadata.name}: workflows are created by assignment, not written directly; ` +
      `POST /api/v1/assign {"template": "${spec.templateRef ?? 'TEMPLATE'}", "machines": ["${spec.hardwareRef ?? 'MACHINE'}"]}`,
  );
}

/** A workflow's machine and template are fixed when it is assigned; labels and annotations may change. */
function refuseWorkflowSpecChange(existing: StoredObject, o: StoredObject): void {
  if (o.kind !== 'Workflow' || JSON.stringify(existing.spec) === JSON.stringify(o.spec)) return;
  throw invalid(`Workflow ${o.metadata.name}: the spec of a workflow is fixed at assignment; cancel it and assign again (POST /api/v1/assign)`);
}

/**
 * A machine still on its workflow (Assigned, Provisioning, Error) never loses it to a delete:
 * that is what cancel is for. A Ready machine's finished workflow may go.
 */
async function refuseCurrentWorkflowDelete(store: Store, name: string): Promise<void> {
  const wf = await store.get('Workflow', name);
  const machine = (wf.spec as { hardwareRef: string }).hardwareRef;
  const hw = await existingOrNone(store, { kind: 'Hardware', metadata: { name: machine } } as StoredObject);
  const status = hw?.status as { currentWorkflow?: string; state?: string } | undefined;
  if (status?.currentWorkflow !== name || status.state === 'Ready') return;
  throw new DragonflyError(
    'DF_ERR_ILLEGAL_TRANSITION',
    `workflow ${name} is the current workflow of ${machine}; cancel the assignment first (POST /api/v1/hardware/${machine}/resolve {"as": "cancel"})`,
  );
}

async function existingOrNone(store: Store, o: StoredObject): Promise<StoredObject | undefined> {
  return store.get(o.kind as Kind, o.metadata.name).catch((e) => {
    if (isDragonflyError(e, 'DF_ERR_NOT_FOUND')) return undefined;
    throw e;
  });
}

/** Apply may relabel a workflow, never create one or change its spec. */
async function checkWorkflowApply(store: Store, o: StoredObject): Promise<void> {
  const existing = await existingOrNone(store, o);
  if (!existing) refuseWorkflowCreation(o);
  else refuseWorkflowSpecChange(existing, o);
}

async function applyOne(store: Store, o: StoredObject) {
  const kind = o.kind as Kind;
  const existing = await existingOrNone(store, o);
  if (!existing) {
    await store.create(asCreated(o));
    return { kind, name: o.metadata.name, action: 'created' };
  }
  const sameSpec = JSON.stringify(existing.spec) === JSON.stringify(o.spec);
  const sameLabels = JSON.stringify(existing.metadata.labels ?? {}) === JSON.stringify(o.metadata.labels ?? existing.metadata.labels ?? {});
  if (sameSpec && sameLabels) return { kind, name: o.metadata.name, action: 'unchanged' };
  // kubectl-style apply: the operator's spec and labels, the server's status and versions.
  await store.update({
    ...existing,
    metadata: { ...existing.metadata, labels: o.metadata.labels ?? existing.metadata.labels, annotations: o.metadata.annotations ?? existing.metadata.annotations },
    spec: o.spec,
  });
  return { kind, name: o.metadata.name, action: 'updated' };
}
