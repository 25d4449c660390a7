import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createLowdbStore } from '../lowdb/lowdb-store.ts';
import type { Store } from '../store.ts';
import { runStoreContract } from './store-contract.ts';

const dirs: string[] = [];
const dirOf = new WeakMap<Store, string>();

async function openAt(dir: string): Promise<Store> {
  const s = await createLowdbStore({ dataDir: dir });
  dirOf.set(s, dir);
  return s;
}

async function reopen(s: Store): Promise<Store> {
  await s.close();
  return openAt(dirOf.get(s)!);
}

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

runStoreContract('lowdb', {
  open: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-lowdb-contract-'));
    dirs.push(dir);
    return openAt(dir);
  },
  reopen,
  // Watch history lives in memory: a restart forgets it.
  forgetHistory: reopen,
});
