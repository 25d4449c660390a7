import { useMemo } from 'react';
import { useAppStore } from '../../../app/store.ts';
import { visibleMachines } from '../machine-filter.ts';

/**
 * Names of the machines to show, filtered. Without a filter this is the cache's own sorted
 * name list, the same array each time, so an object change re-renders no list.
 */
export function useVisibleMachines(): string[] {
  const names = useAppStore((s) => s.hardware.names);
  const byName = useAppStore((s) => s.hardware.byName);
  const filter = useAppStore((s) => s.machineFilter);
  // Without a filter visibleMachines answers the name list itself (same reference, no re-render).
  return useMemo(() => visibleMachines(names, byName, filter), [names, byName, filter]);
}
