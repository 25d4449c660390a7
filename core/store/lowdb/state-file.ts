import { DragonflyError } from '../../shared/errors.ts';
import type { StoredObject } from '../../model/meta.ts';
import type { StoreState } from '../state-store.ts';

interface Fragment {
  /** The stored object these bytes encode; a different object under the same name means stale. */
  obj: StoredObject;
  /** `"<name>":<object JSON>` as UTF-8, ready to be written. */
  entry: Buffer;
  /** Where the object JSON starts in `entry`. */
  jsonStart: number;
}

/** What changed between two states: objects written (by kind) and [kind, name] pairs deleted. */
export interface StateDelta {
  put: Map<string, StoredObject[]>;
  del: [string, string][];
}

/**
 * A Buffer with its own memory. Buffer.from() carves small buffers out of shared 8 KiB
 * slabs, and one cached 2 KB fragment would keep a whole slab alive: with 10,000 long-lived
 * fragments that fragmentation doubled the memory they cost.
 */
function ownBuffer(text: string): Buffer {
  const buf = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  buf.write(text);
  return buf;
}

const COMMA = Buffer.from(',');
const CLOSE = Buffer.from('}');

/**
 * Serialises a StoreState to the bytes of the data file, as a list of chunks for one
 * writev. StateStore never mutates a stored object in place (every write stores a fresh
 * clone), so each object's bytes are cached by identity: a batch that changes ten
 * objects out of 10,000 encodes ten, and the big file is never built as one string.
 * Keyed by kind and name, so only current objects' bytes are held (not those of old
 * versions still referenced by the watch history).
 */
export class StateSerializer {
  private readonly fragments = new Map<string, Fragment>();

  serialize(state: StoreState): Buffer[] {
    const chunks: Buffer[] = [Buffer.from(`{"revision":${state.revision},"objects":{`)];
    let firstKind = true;
    for (const [kind, bucket] of Object.entries(state.objects)) {
      if (!bucket) continue;
      chunks.push(Buffer.from(`${firstKind ? '' : ','}${JSON.stringify(kind)}:{`));
      firstKind = false;
      let first = true;
      for (const [name, obj] of Object.entries(bucket)) {
        if (!first) chunks.push(COMMA);
        chunks.push(this.fragment(kind, name, obj).entry);
        first = false;
      }
      chunks.push(CLOSE);
    }
    chunks.push(Buffer.from('}}\n'));
    return chunks;
  }

  /**
   * One journal line: `{"rev":R,"put":{"<Kind>":{"<name>":{...}}},"del":[["<Kind>","<name>"]]}`
   * holding the objects written and deleted since the previous line.
   */
  record(revision: number, delta: StateDelta): Buffer[] {
    const chunks: Buffer[] = [Buffer.from(`{"rev":${revision},"put":{`)];
    let firstKind = true;
    for (const [kind, objs] of delta.put) {
      chunks.push(Buffer.from(`${firstKind ? '' : ','}${JSON.stringify(kind)}:{`));
      firstKind = false;
      objs.forEach((obj, i) => {
        if (i) chunks.push(COMMA);
        chunks.push(this.fragment(kind, obj.metadata.name, obj).entry);
      });
      chunks.push(CLOSE);
    }
    chunks.push(Buffer.from(`},"del":${JSON.stringify(delta.del)}}\n`));
    return chunks;
  }

  /** The object's JSON, from the cache when it has been written before. */
  json(obj: StoredObject): string {
    const f = this.fragment(obj.kind, obj.metadata.name, obj);
    return f.entry.toString('utf8', f.jsonStart);
  }

  /** Drops the bytes of a deleted object. */
  forget(kind: string, name: string): void {
    this.fragments.delete(`${kind}/${name}`);
  }

  private fragment(kind: string, name: string, obj: StoredObject): Fragment {
    const key = `${kind}/${name}`;
    let f = this.fragments.get(key);
    if (f?.obj !== obj) {
      const prefix = `${JSON.stringify(name)}:`;
      f = { obj, entry: ownBuffer(prefix + JSON.stringify(obj)), jsonStart: Buffer.byteLength(prefix) };
      this.fragments.set(key, f);
    }
    return f;
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
