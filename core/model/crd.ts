import { stringify } from 'yaml';
import { API_GROUP } from './meta.ts';
import { kinds, kindNames, type Kind } from './kinds.ts';

/** Keys TypeBox adds that Kubernetes' structural schemas reject or ignore. */
function structural(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(structural);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema as Record<string, unknown>)) {
    if (k === 'additionalProperties' && v === false) continue; // structural schemas prune unknown fields already
    if (k === '$id' || k === 'default' || k === 'format') continue;
    if (k === 'anyOf' && Array.isArray(v) && v.every((x) => x && typeof x === 'object' && 'const' in x)) {
      // A union of literals is an enum in a structural schema.
      out.type = 'string';
      out.enum = v.map((x) => (x as { const: unknown }).const);
      continue;
    }
    if (k === 'anyOf') {
      // Mixed unions (e.g. partition by number or label) cannot be structural: accept either.
      out['x-kubernetes-int-or-string'] = true;
      continue;
    }
    if (k === 'patternProperties') {
      out.additionalProperties = structural(Object.values(v as object)[0]);
      continue;
    }
    if (k === 'const') {
      out.enum = [v];
      continue;
    }
    out[k] = structural(v);
  }
  return out;
}

export function crdFor(kind: Kind): object {
  const k = kinds[kind];
  const schema = k.schema as unknown as { properties: Record<string, unknown> };
  const props = schema.properties;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${k.plural}.${API_GROUP}` },
    spec: {
      group: API_GROUP,
      scope: 'Namespaced',
      names: { kind, plural: k.plural, singular: k.singular, listKind: `${kind}List`, shortNames: [...k.shortNames] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: structural(props.spec),
                status: structural(props.status),
              },
            },
          },
        },
      ],
    },
  };
}

/** File name → YAML text, for every kind. */
export function renderCrds(): Record<string, string> {
  const header = '# Generated from core/model by `npm run gen:crds`. Do not edit by hand.\n';
  return Object.fromEntries(kindNames.map((kind) => [`${kinds[kind].plural}.${API_GROUP}.yaml`, header + stringify(crdFor(kind), { lineWidth: 0 })]));
}
