import type { SliceCreator } from '../../shared/slice.ts';

/** GET /api/v1/status (API.md). */
export interface ServiceStatus {
  version: string;
  backend: string;
  services: {
    http: { ok: boolean; address?: string; error?: string };
    dhcp: { ok: boolean; mode?: string; interface?: string; error?: string };
    tftp: { ok: boolean; port?: number; error?: string };
  };
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
  setConnected: (connected) => set((s) => (s.connected === connected ? {} : { connected })),
  // Oldest toasts give way: at 3 a.m. a wall of stale toasts hides the one that matters.
  pushToast: (toast) => set((s) => ({ toasts: [...s.toasts, { ...toast, id: nextToastId++ }].slice(-MAX_TOASTS) })),
  dismissToast: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
});

/** Services that are down, each with the fix text the server gave. */
export function serviceProblems(status: ServiceStatus | null): { service: string; error: string }[] {
  if (!status) return [];
  return Object.entries(status.services)
    .filter(([, v]) => v && !v.ok && v.error)
    .map(([service, v]) => ({ service: service.toUpperCase(), error: v.error as string }));
}
