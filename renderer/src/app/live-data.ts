import type { StoreApi } from 'zustand/vanilla';
import type { Hardware } from '../../../core/model/hardware.ts';
import type { Template } from '../../../core/model/template.ts';
import type { Workflow } from '../../../core/model/workflow.ts';
import type { Rule } from '../../../core/model/rule.ts';
import { api, describeError } from '../shared/api-client.ts';
import { connectEventStream, type EventStreamOptions, type Notification } from '../shared/event-stream.ts';
import type { WatchEvent } from '../shared/resource-cache.ts';
import type { ServiceStatus } from '../features/status/status-slice.ts';
import type { AppState } from './store.ts';

interface ListResponse<T> {
  items: T[];
  revision: number;
}

/** Routes one batch of change events to the slice that caches each kind. */
export function dispatchChanges(store: StoreApi<AppState>, batch: WatchEvent<never>[]): void {
  const byKind: Record<string, WatchEvent<never>[]> = {};
  for (const e of batch) (byKind[e.kind] ??= []).push(e);
  const s = store.getState();
  if (byKind.Hardware) s.applyHardwareEvents(byKind.Hardware as WatchEvent<Hardware>[]);
  if (byKind.Template) s.applyTemplateEvents(byKind.Template as WatchEvent<Template>[]);
  if (byKind.Workflow) s.applyWorkflowEvents(byKind.Workflow as WatchEvent<Workflow>[]);
  if (byKind.Rule) s.applyRuleEvents(byKind.Rule as WatchEvent<Rule>[]);
}

export function notificationToast(store: StoreApi<AppState>, n: Notification): void {
  const error = n.level === 'error';
  store.getState().pushToast({ level: error ? 'error' : 'success', title: n.title, body: n.body, group: error ? 'failed' : 'ready', machine: n.machine });
}

export async function refreshStatus(store: StoreApi<AppState>): Promise<void> {
  try {
    store.getState().setStatus(await api<ServiceStatus>('GET', '/api/v1/status'));
  } catch {
    /* the status bar keeps its last value; the connection banner speaks for outages */
  }
}

async function loadLists(store: StoreApi<AppState>): Promise<number> {
  const [hw, tpl, wf, rules] = await Promise.all([
    api<ListResponse<Hardware>>('GET', '/api/v1/hardware'),
    api<ListResponse<Template>>('GET', '/api/v1/templates'),
    api<ListResponse<Workflow>>('GET', '/api/v1/workflows'),
    api<ListResponse<Rule>>('GET', '/api/v1/rules'),
  ]);
  const s = store.getState();
  s.loadHardware(hw.items, hw.revision ?? 0);
  s.loadTemplates(tpl.items, tpl.revision ?? 0);
  s.loadWorkflows(wf.items, wf.revision ?? 0);
  s.loadRules(rules.items, rules.revision ?? 0);
  return Math.min(hw.revision ?? 0, tpl.revision ?? 0, wf.revision ?? 0, rules.revision ?? 0);
}

/**
 * Initial load by GET list, then one event stream resuming from the oldest list revision so
 * nothing that happened between the lists and the stream is missed (duplicates are ignored by
 * revision in the caches). Status refreshes on events that can change it, never on a timer.
 */
export function startLiveData(store: StoreApi<AppState>, opts: Partial<EventStreamOptions> = {}): () => void {
  let stop: (() => void) | undefined;
  let cancelled = false;
  let statusTimer: ReturnType<typeof setTimeout> | undefined;
  const statusSoon = () => {
    if (statusTimer) return;
    statusTimer = setTimeout(() => {
      statusTimer = undefined;
      void refreshStatus(store);
    }, 1000);
  };
  void refreshStatus(store);
  loadLists(store)
    .then((revision) => {
      if (cancelled) return;
      const url = revision > 0 ? `/api/v1/events?lastEventId=${revision}` : '/api/v1/events';
      stop = connectEventStream(
        { url, ...opts },
        {
          onChanges: (batch) => {
            dispatchChanges(store, batch);
            if (batch.some((e) => e.kind === 'Hardware' && e.type !== 'MODIFIED')) statusSoon();
          },
          onNotification: (n) => {
            notificationToast(store, n);
            statusSoon();
          },
          onReset: () => void loadLists(store).catch(() => undefined),
          // Ask who we are: a 401 there signs the operator out (the api client's handler) instead
          // of showing "retrying" forever against a server that no longer knows the session.
          onRefused: () => void api('GET', '/api/v1/auth/whoami').catch(() => undefined),
          onConnection: (up) => {
            store.getState().setConnected(up);
            if (up) statusSoon();
          },
        },
      );
    })
    .catch((e) => store.getState().pushToast({ level: 'error', title: 'Could not load machines', body: describeError(e) }));
  return () => {
    cancelled = true;
    if (statusTimer) clearTimeout(statusTimer);
    stop?.();
  };
}
