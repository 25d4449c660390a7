import type { WatchEvent } from './resource-cache.ts';
import { apiToken } from './api-client.ts';
import { fetchEventSource } from './fetch-event-source.ts';
import type { EventSourceLike } from './event-source-like.ts';

/**
 * One EventSource on /api/v1/events. Change events are queued and handed over in batches
 * (one per animation frame at most), so a burst of progress events costs one store update
 * per frame. EventSource reconnects by itself and sends Last-Event-ID, which the server
 * uses to resume; we only report the connection state for the banner.
 */
export interface Notification {
  level: 'info' | 'error';
  title: string;
  body?: string;
  machine?: string;
}

export interface EventStreamHandlers {
  onChanges: (events: WatchEvent<never>[]) => void;
  onNotification: (n: Notification) => void;
  onConnection: (connected: boolean) => void;
  /** The server could not resume from our revision (history compacted): reload the lists. */
  onReset?: () => void;
  /** The stream was refused (HTTP error, e.g. 401 after a server restart) rather than dropped. */
  onRefused?: () => void;
}


export interface EventStreamOptions {
  url: string;
  create?: (url: string) => EventSourceLike;
  /** Schedules a flush; defaults to requestAnimationFrame with a timer fallback for hidden windows. */
  schedule?: (flush: () => void) => void;
}

const CLOSED = 2;

export function defaultSchedule(flush: () => void): void {
  let done = false;
  const once = () => {
    if (!done) {
      done = true;
      flush();
    }
  };
  // rAF does not run while the window is hidden; the timer keeps the cache current anyway.
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(once);
  setTimeout(once, 100);
}

export function parseChange(data: string): WatchEvent<never> | undefined {
  try {
    const e = JSON.parse(data) as WatchEvent<never>;
    if (!e || typeof e !== 'object' || !e.object || typeof e.kind !== 'string') return undefined;
    if (e.type !== 'ADDED' && e.type !== 'MODIFIED' && e.type !== 'DELETED') return undefined;
    return e;
  } catch {
    return undefined;
  }
}

export function connectEventStream(opts: EventStreamOptions, h: EventStreamHandlers): () => void {
  const create = opts.create ?? defaultCreate;
  const schedule = opts.schedule ?? defaultSchedule;
  let queue: WatchEvent<never>[] = [];
  let scheduled = false;
  let source: EventSourceLike | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const flush = () => {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length) h.onChanges(batch);
  };

  const open = (url: string) => {
    const es = create(url);
    source = es;
    es.onopen = () => h.onConnection(true);
    es.onerror = () => {
      h.onConnection(false);
      // A CLOSED source (e.g. the server answered 5xx) does not retry by itself; reopen it,
      // resuming from the last revision we applied.
      if (es.readyState === CLOSED && !stopped) {
        h.onRefused?.();
        retryTimer = setTimeout(() => open(withLastId(opts.url, lastId)), 2000);
      }
    };
    es.addEventListener('change', (ev) => {
      const e = parseChange(ev.data);
      if (!e) return;
      if (ev.lastEventId) lastId = ev.lastEventId;
      queue.push(e);
      if (!scheduled) {
        scheduled = true;
        schedule(flush);
      }
    });
    es.addEventListener('reset', () => {
      flush();
      h.onReset?.();
    });
    es.addEventListener('notification', (ev) => {
      try {
        h.onNotification(JSON.parse(ev.data) as Notification);
      } catch {
        /* a malformed notification is dropped; the change events still carry the truth */
      }
    });
  };

  let lastId = '';
  open(opts.url);
  return () => {
    stopped = true;
    if (retryTimer) clearTimeout(retryTimer);
    source?.close();
  };
}

/** Cookie sessions use the browser's EventSource; bearer-token sessions need headers, so fetch. */
function defaultCreate(url: string): EventSourceLike {
  const token = apiToken();
  if (token) return fetchEventSource(url, token);
  return new EventSource(url, { withCredentials: true }) as unknown as EventSourceLike;
}

export function withLastId(url: string, lastId: string): string {
  if (!lastId) return url;
  const u = new URL(url, 'http://x');
  u.searchParams.set('lastEventId', lastId);
  return url.startsWith('http') ? u.toString() : `${u.pathname}${u.search}`;
}
