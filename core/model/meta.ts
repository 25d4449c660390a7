import Type, { type Static, type TSchema } from 'typebox';

export const API_VERSION = 'dragonfly.computer/v1';
export const API_GROUP = 'dragonfly.computer';

/** DNS-1123 subdomain, as Kubernetes requires for object names. */
export const NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

export const ObjectMeta = Type.Object(
  {
    name: Type.String({ pattern: NAME_PATTERN, minLength: 1, maxLength: 253, description: 'Unique name within the kind' }),
    uid: Type.Optional(Type.String({ description: 'Set by the server at creation' })),
    resourceVersion: Type.Optional(Type.String({ description: 'Opaque; carried back on update for optimistic concurrency' })),
    labels: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 63 }))),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
    creationTimestamp: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type ObjectMeta = Static<typeof ObjectMeta>;

/** Wraps spec and status schemas into a Kubernetes-shaped object schema. */
export function objectSchema<K extends string, S extends TSchema, T extends TSchema>(kind: K, spec: S, status: T) {
  return Type.Object(
    {
      apiVersion: Type.Literal(API_VERSION),
      kind: Type.Literal(kind),
      metadata: ObjectMeta,
      spec,
      status: Type.Optional(status),
    },
    { additionalProperties: false },
  );
}

export const Condition = Type.Object(
  {
    type: Type.String(),
    status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')]),
    reason: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
    lastTransitionTime: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type Condition = Static<typeof Condition>;

/** The stored shape every backend handles, whatever the kind. */
export interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: unknown;
  status?: unknown;
}

/** A union of string literals from a const list, typed as that list's members. */
export function literalUnion<const T extends readonly string[]>(values: T, options: { description?: string } = {}) {
  return Type.Unsafe<T[number]>(Type.Union(values.map((v) => Type.Literal(v)), options));
}
