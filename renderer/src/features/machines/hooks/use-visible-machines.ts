import { useMemo } from 'react';
import { useAppStore } from '../../../app/store.ts';
import { visibleMachines } from '../machine-filter.ts';

/**
 * Names of the machines to show, filtered. Without a filter this is the cache's own sorted
 * name list (no work per event); with one, it is recomputed when objects change.
 */
export function useVisibleMachines(): string[] {
  const names = useAppStore((s) => s.hardware.names);
  const byName = useAppStore((s) => s.hardware.byName);
  const filter = useAppStore((s) => s.machineFilter);
  const narrowing = filter.text.trim() !== '' || filter.state !== 'all' || filter.tag !== 'all';
  // Only depend on byName when a filter reads object contents.
  const dep = narrowing ? byName : null;
  return useMemo(() => visibleMachines(names, byName, filter), [names, dep, filter]); // eslint-disable-line react-hooks/exhaustive-deps
}
