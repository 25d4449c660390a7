/**
 * Writer process for crash.test.ts: writes to a lowdb store as fast as it can from
 * several concurrent writers and prints one line per acknowledged write, so the parent
 * knows exactly what was acknowledged when it SIGKILLs this process.
 *   ready
 *   u <counter> <seq>   counter-<counter> now has annotation seq=<seq> (acknowledged)
 *   c <name>            object <name> was created (acknowledged)
 * Usage: node --import tsx crash-child.ts DATA_DIR RUN_ID (the test runs it bundled by esbuild)
 */
import { isDragonflyError } from '../../shared/errors.ts';
import { API_VERSION, type StoredObject } from '../../model/meta.ts';
import { mutate } from '../mutate.ts';
import type { Store } from '../store.ts';
import { createLowdbStore } from './lowdb-store.ts';

const WRITERS = 8;
const [dataDir, runId] = process.argv.slice(2);

const object = (name: string, annotations: Record<string, string> = {}): StoredObject => ({
  apiVersion: API_VERSION,
  kind: 'Hardware',
  metadata: { name, annotations },
  spec: { macs: ['52:54:00:12:34:56'], displayName: 'x'.repeat(200) },
  status: { state: 'Discovered' },
});

// Pipes to the parent are synchronous on Linux: a printed line has left this process.
const say = (line: string) => process.stdout.write(`${line}\n`);

async function ensureCounter(store: Store, j: number): Promise<void> {
  await store.create(object(`counter-${j}`, { seq: '0' })).catch((e: unknown) => {
    if (!isDragonflyError(e, 'DF_ERR_ALREADY_EXISTS')) throw e;
  });
}

async function writer(store: Store, j: number): Promise<never> {
  for (let i = 0; ; i++) {
    const next = await mutate(store, 'Hardware', `counter-${j}`, (o) => {
      o.metadata.annotations = { seq: String(Number(o.metadata.annotations?.seq ?? 0) + 1) };
      return o;
    });
    say(`u ${j} ${next.metadata.annotations!.seq}`);
    if (i % 40 === 0) {
      const name = `run-${runId}-${j}-${i}`;
      await store.create(object(name));
      say(`c ${name}`);
    }
  }
}

// A small journal limit, so kills also land during journal rotation and background snapshots.
const store = await createLowdbStore({ dataDir, snapshotAfterBytes: 16_384 });
for (let j = 0; j < WRITERS; j++) await ensureCounter(store, j);
say('ready');
await Promise.all(Array.from({ length: WRITERS }, (_, j) => writer(store, j)));
