import { describe, expect, it } from 'vitest';
import { createSseParser, type SseEvent } from './sse-parser.ts';

function parse(chunks: string[]) {
  const events: SseEvent[] = [];
  const p = createSseParser((e) => events.push(e));
  for (const c of chunks) p.push(c);
  return { events, p };
}

describe('server-sent events parser', () => {
  it('parses typed events with ids, skipping comments', () => {
    const { events, p } = parse(['retry: 2000\n: connected\n\n', 'id: 7\nevent: change\ndata: {"a":1}\n\n', ': ping\n\n']);
    expect(events).toEqual([{ type: 'change', data: '{"a":1}', lastEventId: '7' }]);
    expect(p.retryMs()).toBe(2000);
    expect(p.lastEventId()).toBe('7');
  });

  it('an event split across chunks (even mid-line and mid-CRLF) arrives whole, once', () => {
    const { events } = parse(['event: notifi', 'cation\r', '\ndata: {"title":', '"x"}\r\n\r\n']);
    expect(events).toEqual([{ type: 'notification', data: '{"title":"x"}', lastEventId: '' }]);
  });

  it('multi-line data is joined with newlines; no data means no event', () => {
    const { events } = parse(['data: a\ndata: b\n\nevent: empty\n\n']);
    expect(events).toEqual([{ type: 'message', data: 'a\nb', lastEventId: '' }]);
  });
});
