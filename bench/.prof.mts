import { mkdtemp, rm } from 'node:fs/promises';
import { createLowdbStore } from '../core/store/lowdb/lowdb-store.ts';
import { benchHardware } from './store-fixtures.ts';
const dir = await mkdtemp('/var/tmp/df-prof-');
const store = await createLowdbStore({ dataDir: dir });
let next = 0;
await Promise.all(Array.from({ length: 64 }, async () => { while (next < 5000) await store.create(benchHardware(next++)); }));
await store.close(); await rm(dir, { recursive: true });
