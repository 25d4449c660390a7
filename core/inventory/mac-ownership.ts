import type { Hardware } from '../model/hardware.ts';
import type { StoredObject } from '../model/meta.ts';
import { conflict } from '../shared/errors.ts';
import type { Store } from '../store/store.ts';

/**
 * The MAC a write would put on two machines, with its holder. `incoming` replaces the stored
 * object of the same name (an apply may move a MAC from one machine to another in one go).
 */
export function sharedMac(incoming: Hardware[], stored: Hardware[]): { mac: string; machine: string; holder: string } | undefined {
  const byName = new Map(stored.map((h) => [h.metadata.name, h]));
  for (const h of incoming) byName.set(h.metadata.name, h);
  const holderOf = new Map<string, string>();
  for (const h of byName.values()) for (const m of h.spec.macs) if (!holderOf.has(m)) holderOf.set(m, h.metadata.name);
  for (const h of incoming) {
    for (const m of h.spec.macs) {
      const holder = holderOf.get(m);
      if (holder && holder !== h.metadata.name) return { mac: m, machine: h.metadata.name, holder };
    }
  }
  return undefined;
}

/** Refuses (409, naming the holder) an API write of Hardware that would put one MAC on two machines. */
export async function refuseSharedMacs(store: Store, objects: StoredObject[]): Promise<void> {
  const incoming = objects.filter((o): o is Hardware => o.kind === 'Hardware');
  if (!incoming.length) return;
  const found = sharedMac(incoming, (await store.list<Hardware>('Hardware')).items);
  if (found) throw conflict(`Hardware ${found.machine}: MAC ${found.mac} belongs to machine ${found.holder}; a MAC belongs to one machine`);
}
