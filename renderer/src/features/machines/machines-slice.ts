import type { Hardware } from '../../../../core/model/hardware.ts';
import type { SliceCreator } from '../../shared/slice.ts';
import { applyEvents, cacheFromList, emptyCache, upsertObject, type ResourceCache, type WatchEvent } from '../../shared/resource-cache.ts';
import { noFilter, type MachineFilter } from './machine-filter.ts';
import { clickSelect, emptySelection, pruneSelection, selectAllVisible, type ClickModifiers, type Selection } from './selection.ts';

export type MachineLayout = 'table' | 'cards';

export interface MachinesSlice {
  hardware: ResourceCache<Hardware>;
  machineFilter: MachineFilter;
  machineLayout: MachineLayout;
  selection: Selection;
  /** Name of the machine whose detail panel is open, if any. */
  detailMachine: string | null;
  loadHardware: (items: Hardware[], revision: number) => void;
  applyHardwareEvents: (events: WatchEvent<Hardware>[]) => void;
  upsertHardware: (hw: Hardware) => void;
  setMachineFilter: (patch: Partial<MachineFilter>) => void;
  setMachineLayout: (layout: MachineLayout) => void;
  clickMachine: (name: string, mods: ClickModifiers, visible: readonly string[]) => void;
  setSelection: (names: readonly string[]) => void;
  toggleAllVisible: (visible: readonly string[]) => void;
  clearSelection: () => void;
  openMachine: (name: string | null) => void;
}

export const createMachinesSlice: SliceCreator<MachinesSlice> = (set) => ({
  hardware: emptyCache<Hardware>(),
  machineFilter: noFilter,
  machineLayout: 'table',
  selection: emptySelection,
  detailMachine: null,
  loadHardware: (items, revision) =>
    set((s) => {
      const hardware = cacheFromList(items, revision);
      return { hardware, selection: pruneSelection(s.selection, (n) => hardware.byName.has(n)) };
    }),
  applyHardwareEvents: (events) =>
    set((s) => {
      const hardware = applyEvents(s.hardware, events);
      if (hardware === s.hardware) return s;
      const deleted = events.some((e) => e.type === 'DELETED');
      const selection = deleted ? pruneSelection(s.selection, (n) => hardware.byName.has(n)) : s.selection;
      const detailMachine = s.detailMachine && hardware.byName.has(s.detailMachine) ? s.detailMachine : null;
      return { hardware, selection, detailMachine };
    }),
  upsertHardware: (hw) => set((s) => ({ hardware: upsertObject(s.hardware, hw) })),
  setMachineFilter: (patch) => set((s) => ({ machineFilter: { ...s.machineFilter, ...patch } })),
  setMachineLayout: (machineLayout) => set({ machineLayout }),
  clickMachine: (name, mods, visible) => set((s) => ({ selection: clickSelect(s.selection, name, mods, visible) })),
  setSelection: (names) => set({ selection: { selected: new Set(names), anchor: names[0] } }),
  toggleAllVisible: (visible) => set((s) => ({ selection: selectAllVisible(s.selection, visible) })),
  clearSelection: () => set({ selection: emptySelection }),
  openMachine: (detailMachine) => set({ detailMachine }),
});
