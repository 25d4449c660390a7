import { describe, expect, it } from 'vitest';
import { fetchEventSource } from './fetch-event-source.ts';

function streamOf(text: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode(text));
      c.close();
    },
  });
}

describe('EventSource over fetch (bearer-token sessions)', () => {
  it('sends the token, delivers typed events, and resumes with Last-Event-ID after the stream ends', async () => {
    const calls: Record<string, string>[] = [];
    const fake = (async (_url: string, init: { headers: Record<string, string> }) => {
      calls.push(init.headers);
      return new Response(streamOf(calls.length === 1 ? 'retry: 10\nid: 5\nevent: change\ndata: {"x":1}\n\n' : ': idle\n'), { status: 200 });
    }) as unknown as typeof fetch;
    const got: string[] = [];
    const es = fetchEventSource('/api/v1/events', 'dft_secret', fake);
    es.addEventListener('change', (e) => got.push(`${e.lastEventId}:${e.data}`));
    await new Promise((r) => setTimeout(r, 60));
    es.close();
    expect(got).toEqual(['5:{"x":1}']);
    expect(calls[0].authorization).toBe('Bearer dft_secret');
    expect(calls[1]['last-event-id']).toBe('5');
  });

  it('an HTTP error (401 after a restart) closes the source instead of retrying forever', async () => {
    let n = 0;
    const fake = (async () => (n++, new Response('{"code":"DF_ERR_UNAUTHORIZED"}', { status: 401 }))) as unknown as typeof fetch;
    const es = fetchEventSource('/api/v1/events', 't', fake);
    let errors = 0;
    es.onerror = () => errors++;
    await new Promise((r) => setTimeout(r, 30));
    expect(es.readyState).toBe(2);
    expect(errors).toBe(1);
    expect(n).toBe(1);
  });
});
