import { createMemoryStore } from '../memory/memory-store.ts';
import { HISTORY_LIMIT } from '../state-store.ts';
import type { Store } from '../store.ts';
import { hardware } from './fixtures.ts';
import { runStoreContract } from './store-contract.ts';

runStoreContract('memory', {
  open: async () => createMemoryStore(),
  // The memory store keeps the last HISTORY_LIMIT events: push the old ones out.
  forgetHistory: async (s: Store) => {
    let obj = await s.create(hardware('history-filler'));
    for (let i = 0; i < HISTORY_LIMIT; i++) obj = await s.update(obj);
    return s;
  },
});
