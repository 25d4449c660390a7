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
  /** Toasts of one group (e.g. "ready") fold into one summary instead of piling up. */
  group?: string;
  count?: number;
  /** The machine the toast is about: its later success clears its earlier failure toast. */
  machine?: string;
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

const MAX_TOASTS = 3;
let nextToastId = 1;

export const createStatusSlice: SliceCreator<StatusSlice> = (set) => ({
  status: null,
  connected: null,
  toasts: [],
  setStatus: (status) => set({ status }),
  // Returning the state itself tells zustand nothing changed, so no subscriber runs.
  setConnected: (connected) => set((s) => (s.connected === connected ? s : { connected })),
  // Oldest toasts give way: at 3 a.m. a wall of stale toasts hides the one that matters.
  pushToast: (toast) => set((s) => ({ toasts: addToast(s.toasts, { ...toast, id: nextToastId++ }) })),
  dismissToast: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
});

/** Services that are down, each with the fix text the server gave. */
export function serviceProblems(status: ServiceStatus | null): { service: string; error: string }[] {
  if (!status) return [];
  return Object.entries(status.services)
    .filter(([, v]) => v && (v.error || !v.ok))
    .map(([service, v]) => ({ service: service.toUpperCase(), error: v.error ?? v.detail ?? 'not running' }));
}

/**
 * Adds a toast. One of a group already on screen is replaced by a summary ("3 machines are
 * Ready"), so a rack finishing at once gives one toast, not forty. Beyond MAX_TOASTS the
 * oldest non-error toasts go first: errors wait for the operator.
 */
export function addToast(all: Toast[], t: Toast): Toast[] {
  // A failure that has since been fixed (the machine is now Ready) is no longer news.
  const toasts = t.machine && t.level !== 'error' ? all.filter((x) => !(x.level === 'error' && x.machine === t.machine)) : all;
  const same = t.group ? toasts.find((x) => x.group === t.group) : undefined;
  let next: Toast[];
  if (same) {
    const count = (same.count ?? 1) + 1;
    const merged: Toast = { ...t, count, title: summaryTitle(t.group as string, count, t.title), body: t.body ? `Latest: ${t.title}` : undefined };
    next = [...toasts.filter((x) => x !== same), merged];
  } else {
    next = [...toasts, t];
  }
  while (next.length > MAX_TOASTS) {
    const i = next.findIndex((x) => x.level !== 'error');
    next.splice(i >= 0 ? i : 0, 1);
  }
  return next;
}

function summaryTitle(group: string, count: number, title: string): string {
  if (group === 'ready') return `${count} machines are Ready`;
  if (group === 'failed') return `${count} machines failed`;
  return `${title} (+${count - 1} more)`;
}
