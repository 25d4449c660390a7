import type { IKeyValue } from 'etcd3';
import { isKind, type Kind } from '../../model/kinds.ts';
import type { StoredObject } from '../../model/meta.ts';

/** Key layout: `<prefix><Kind>/<name>`, prefix by default `/dragonfly/v1/`. */
export const DEFAULT_PREFIX = '/dragonfly/v1/';

export const kindPrefix = (prefix: string, kind: Kind) => `${prefix}${kind}/`;
export const objectKey = (prefix: string, kind: Kind, name: string) => `${prefix}${kind}/${name}`;

/** The kind a key belongs to, or undefined for a key outside our layout. */
export function kindOfKey(prefix: string, key: string): Kind | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const kind = key.slice(prefix.length).split('/', 1)[0];
  return isKind(kind) ? kind : undefined;
}

/**
 * The stored value never holds a resourceVersion: etcd's mod_revision of the key is the
 * version, so it cannot disagree with what the compare in a transaction checks.
 */
export function encodeValue(obj: StoredObject): string {
  const { resourceVersion: _, ...metadata } = obj.metadata;
  return JSON.stringify({ ...obj, metadata });
}

/** The object in a key-value pair, its resourceVersion set to `revision` (default: the key's mod_revision). */
export function decodeValue(kv: IKeyValue, revision = kv.mod_revision): StoredObject {
  const obj = JSON.parse(kv.value.toString('utf8')) as StoredObject;
  obj.metadata.resourceVersion = String(revision);
  return obj;
}
