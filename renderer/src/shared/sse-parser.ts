/**
 * Incremental parser for the text/event-stream format (WHATWG HTML, "Server-sent events",
 * section 9.2.6 "Interpreting an event stream"): feed it chunks as they arrive, it calls back
 * once per complete event. Comment lines (": ping") are ignored.
 */
export interface SseEvent {
  type: string;
  data: string;
  lastEventId: string;
}

export interface SseParser {
  push: (chunk: string) => void;
  /** Last `id:` seen, to resume with Last-Event-ID after a reconnect. */
  lastEventId: () => string;
  /** Last `retry:` seen, ms; undefined until the server sends one. */
  retryMs: () => number | undefined;
}

export function createSseParser(onEvent: (e: SseEvent) => void): SseParser {
  let buffer = '';
  let type = '';
  let data: string[] = [];
  let lastId = '';
  let retry: number | undefined;

  const dispatch = () => {
    if (data.length) onEvent({ type: type || 'message', data: data.join('\n'), lastEventId: lastId });
    type = '';
    data = [];
  };

  const line = (l: string) => {
    if (l === '') return dispatch();
    if (l.startsWith(':')) return;
    const colon = l.indexOf(':');
    const field = colon < 0 ? l : l.slice(0, colon);
    let value = colon < 0 ? '' : l.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
  };

  return {
    push: (chunk) => {
      buffer += chunk;
      // Lines end in CRLF, LF or CR; a trailing CR may be the first half of a CRLF, so wait for more.
      const parts = buffer.split(/\r\n|\n|\r(?!$)/);
      buffer = parts.pop() ?? '';
      for (const p of parts) line(p);
    },
    lastEventId: () => lastId,
    retryMs: () => retry,
  };
}
