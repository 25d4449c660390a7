import { isDragonflyError } from '../shared/errors.ts';
import type { Kind } from '../model/kinds.ts';
import type { StoredObject } from '../model/meta.ts';
import type { Store } from './store.ts';

/**
 * Read, change, write with the version read; on a conflict read again and re-apply.
 * `change` must be a pure function of the object it is given (it may run more than once).
 */
export async function mutate<T extends StoredObject>(
  store: Store,
  kind: Kind,
  name: string,
  change: (current: T) => T | undefined,
  attempts = 10,
): Promise<T> {
  for (let i = 0; ; i++) {
    const current = await store.get<T>(kind, name);
    const next = change(structuredClone(current));
    if (next === undefined) return current;
    try {
      return await store.update(next);
    } catch (e) {
      if (!isDragonflyError(e, 'DF_ERR_CONFLICT') || i + 1 >= attempts) throw e;
    }
  }
}
