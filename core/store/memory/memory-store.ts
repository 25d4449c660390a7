import { StateStore, emptyState } from '../state-store.ts';
import type { Store } from '../store.ts';

/** Nothing survives the process: for tests and throwaway runs. */
export function createMemoryStore(): Store {
  return new StateStore('memory', emptyState());
}
