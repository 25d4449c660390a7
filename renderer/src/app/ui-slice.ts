import type { SliceCreator } from '../shared/slice.ts';

export type View = 'setup' | 'machines' | 'provisioning' | 'templates' | 'settings' | 'rules' | 'images';
export type ThemeChoice = 'system' | 'light' | 'dark';

export interface UiSlice {
  view: View;
  theme: ThemeChoice;
  setView: (view: View) => void;
  setTheme: (theme: ThemeChoice) => void;
}

export const createUiSlice: SliceCreator<UiSlice> = (set) => ({
  view: 'machines',
  theme: 'system',
  setView: (view) => set({ view }),
  setTheme: (theme) => set({ theme }),
});
