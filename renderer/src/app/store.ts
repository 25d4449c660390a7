import { createStore, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { SliceGet, SliceSet } from '../shared/slice.ts';
import { createAuthSlice, type AuthSlice } from '../features/auth/auth-slice.ts';
import { createMachinesSlice, type MachinesSlice } from '../features/machines/machines-slice.ts';
import { createTemplatesSlice, type TemplatesSlice } from '../features/templates/templates-slice.ts';
import { createWorkflowsSlice, type WorkflowsSlice } from '../features/workflows/workflows-slice.ts';
import { createSettingsSlice, type SettingsSlice } from '../features/settings/settings-slice.ts';
import { createStatusSlice, type StatusSlice } from '../features/status/status-slice.ts';
import { createFirstRunSlice, type FirstRunSlice } from '../features/first-run/first-run-slice.ts';
import { createUiSlice, type UiSlice } from './ui-slice.ts';
import { createRulesSlice, type RulesSlice } from '../features/rules/rules-slice.ts';

export type AppState = AuthSlice & MachinesSlice & TemplatesSlice & WorkflowsSlice & SettingsSlice & StatusSlice & FirstRunSlice & UiSlice & RulesSlice;

/** One store from the feature slices. A fresh one per test; the app uses `appStore`. */
export function createAppStore(): StoreApi<AppState> {
  return createStore<AppState>()((set, get) => {
    const s = set as SliceSet<AppState>;
    const g = get as SliceGet<AppState>;
    return {
      ...createAuthSlice(s as SliceSet<AuthSlice>, g),
      ...createMachinesSlice(s as SliceSet<MachinesSlice>, g),
      ...createTemplatesSlice(s as SliceSet<TemplatesSlice>, g),
      ...createWorkflowsSlice(s as SliceSet<WorkflowsSlice>, g),
      ...createSettingsSlice(s as SliceSet<SettingsSlice>, g),
      ...createStatusSlice(s as SliceSet<StatusSlice>, g),
      ...createFirstRunSlice(s as SliceSet<FirstRunSlice>, g),
      ...createUiSlice(s as SliceSet<UiSlice>, g),
      ...createRulesSlice(s as SliceSet<RulesSlice>, g),
    };
  });
}

export const appStore = createAppStore();

/** Narrow selectors only: `useAppStore((s) => s.machineFilter)`, never the whole state. */
export function useAppStore<T>(selector: (state: AppState) => T): T {
  return useStore(appStore, selector);
}
