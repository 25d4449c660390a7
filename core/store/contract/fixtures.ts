import { API_VERSION, type StoredObject } from '../../model/meta.ts';
import type { Store, WatchEvent, WatchOptions } from '../store.ts';

/** A small Hardware object; `n` varies the MAC so names and MACs stay distinct. */
export function hardware(name: string, labels?: Record<string, string>, n = 1): StoredObject {
  const mac = `52:54:00:00:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;
  return {
    apiVersion: API_VERSION,
    kind: 'Hardware',
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: { macs: [mac] },
    status: { state: 'Discovered' },
  };
}

export function template(name: string): StoredObject {
  return { apiVersion: API_VERSION, kind: 'Template', metadata: { name }, spec: { actions: [] } };
}

/** Resolves when `check()` holds; fails the test after `ms` with what it was waiting for. */
export async function eventually(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts a watch and records its events. */
export async function recordWatch(store: Store, opts: WatchOptions = {}) {
  const events: WatchEvent[] = [];
  const stop = await store.watch(opts, (e) => events.push(e));
  const waitFor = (n: number) => eventually(() => events.length >= n, `${n} watch event(s), got ${events.length}`);
  return { events, stop, waitFor };
}

export const summary = (events: WatchEvent[]) => events.map((e) => `${e.type} ${e.kind}/${e.object.metadata.name}`);
