import type { SliceCreator } from '../../shared/slice.ts';

export interface ServiceHealth {
  ok: boolean;
  detail?: string;
  error?: string;
}

/** GET /api/v1/status (API.md; shape as core/api/system-plugin.ts answers it). */
export interface ServiceStatus {
  version: string;
  backend: string;
  /** http, dhcp, tftp, ...: `detail` says what it is doing, `error` holds the fix when it could not start. */
  services: Record<string, ServiceHealth>;
  counts?: { byState?: Record<string, number> };
}

export interface Toast {
  id: number;
  level: 'info' | 'error' | 'success';
  title: string;
  body?: string;
}

export interface StatusSlice {
  status: ServiceStatus | null;
  /** null until the event stream first opens; false shows the "connection lost" banner. */
  connected: boolean | null;
  toasts: Toast[];
  setStatus: (status: ServiceStatus) => void;
  setConnected: (connected: boolean) => void;
  pushToast: (toast: Omit<Toast, 'id'>) => void;
  dismissToast: (id: number) => void;
}

const MAX_TOASTS = 5;
let nextToastId = 1;

export const createStatusSlice: SliceCreator<StatusSlice> = (set) => ({
  status: null,
  connected: null,
  toasts: [],
  setStatus: (status) => set({ status }),
  // Returning the state itself tells zustand nothing changed, so no subscriber runs.
  setConnected: (connected) => set((s) => (s.connected === connected ? s : { connected })),
  // Oldest toasts give way: at 3 a.m. a wall of stale toasts hides the one that matters.
  pushToast: (toast) => set((s) => ({ toasts: [...s.toasts, { ...toast, id: nextToastId++ }].slice(-MAX_TOASTS) })),
  dismissToast: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
});

/** Services that are down, each with the fix text the server gave. */
export function serviceProblems(status: ServiceStatus | null): { service: string; error: string }[] {
  if (!status) return [];
  return Object.entries(status.services)
    .filter(([, v]) => v && (v.error || !v.ok))
    .map(([service, v]) => ({ service: service.toUpperCase(), error: v.error ?? v.detail ?? 'not running' }));
}
