import type { EventSourceLike } from './event-source-like.ts';
import { createSseParser } from './sse-parser.ts';

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

/**
 * An EventSource over fetch, for sessions that authenticate with a bearer token (pasted API
 * token, Electron): the browser's EventSource cannot send an Authorization header. Behaves
 * like EventSource: reconnects after `retry` ms with Last-Event-ID, and goes CLOSED on an
 * HTTP error status (e.g. 401) instead of retrying forever.
 */
export function fetchEventSource(url: string, token: string, fetchImpl: typeof fetch = fetch): EventSourceLike {
  const listeners = new Map<string, ((ev: { data: string; lastEventId?: string }) => void)[]>();
  const ctl = new AbortController();
  let lastId = '';
  let retryMs = 2000;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const es: EventSourceLike = {
    onopen: null,
    onerror: null,
    readyState: CONNECTING,
    addEventListener: (type, l) => listeners.set(type, [...(listeners.get(type) ?? []), l]),
    close: () => {
      es.readyState = CLOSED;
      if (timer) clearTimeout(timer);
      ctl.abort();
    },
  };

  const parser = () =>
    createSseParser((e) => {
      lastId = e.lastEventId;
      for (const l of listeners.get(e.type) ?? []) l({ data: e.data, lastEventId: e.lastEventId });
    });

  const connect = async () => {
    const p = parser();
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream', authorization: `Bearer ${token}` };
      if (lastId) headers['last-event-id'] = lastId;
      const res = await fetchImpl(url, { headers, signal: ctl.signal, cache: 'no-store' });
      if (!res.ok || !res.body) {
        es.readyState = CLOSED;
        es.onerror?.({ status: res.status });
        return;
      }
      es.readyState = OPEN;
      es.onopen?.({});
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        p.push(value);
        retryMs = p.retryMs() ?? retryMs;
      }
    } catch {
      /* network error or abort: handled below like a dropped connection */
    }
    if (es.readyState === CLOSED) return;
    es.readyState = CONNECTING;
    es.onerror?.({});
    timer = setTimeout(() => void connect(), retryMs);
  };

  void connect();
  return es;
}
