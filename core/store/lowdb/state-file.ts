import { DragonflyError } from '../../shared/errors.ts';
import type { StoredObject } from '../../model/meta.ts';
import type { StoreState } from '../state-store.ts';

/**
 * Serialises a StoreState to the JSON text of the data file. StateStore never mutates a
 * stored object in place (every write stores a fresh clone), so an object's JSON can be
 * cached by identity: a batch that changes ten objects out of 10,000 re-serialises ten.
 */
export class StateSerializer {
  private readonly fragments = new WeakMap<StoredObject, string>();

  serialize(state: StoreState): string {
    const kinds: string[] = [];
    for (const [kind, bucket] of Object.entries(state.objects)) {
      if (!bucket) continue;
      const entries: string[] = [];
      for (const [name, obj] of Object.entries(bucket)) entries.push(`${JSON.stringify(name)}:${this.fragment(obj)}`);
      kinds.push(`${JSON.stringify(kind)}:{${entries.join(',')}}`);
    }
    return `{"revision":${state.revision},"objects":{${kinds.join(',')}}}\n`;
  }

  private fragment(obj: StoredObject): string {
    let json = this.fragments.get(obj);
    if (json === undefined) {
      json = JSON.stringify(obj);
      this.fragments.set(obj, json);
    }
    return json;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses the data file's text. Anything that is not a store state is an error naming the
 * file: starting empty over a damaged file would silently lose every machine.
 */
export function parseStateFile(text: string, path: string): StoreState {
  const refuse = (why: string) =>
    new DragonflyError(
      'DF_ERR_DECODE',
      `the data file ${path} is damaged (${why}); refusing to start with an empty store. ` +
        'Restore it from a backup, or move it aside to start over.',
      { path },
    );
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw refuse(`not valid JSON: ${(e as Error).message}`);
  }
  if (!isRecord(data)) throw refuse('the top level is not an object');
  if (!Number.isSafeInteger(data.revision) || (data.revision as number) < 0) throw refuse('"revision" is not a non-negative integer');
  if (!isRecord(data.objects)) throw refuse('"objects" is not an object');
  for (const [kind, bucket] of Object.entries(data.objects)) {
    if (!isRecord(bucket)) throw refuse(`objects.${kind} is not an object`);
    for (const [name, obj] of Object.entries(bucket)) {
      if (!isRecord(obj) || !isRecord(obj.metadata) || obj.metadata.name !== name) {
        throw refuse(`objects.${kind}.${name} is not a stored object named "${name}"`);
      }
    }
  }
  return data as unknown as StoreState;
}
