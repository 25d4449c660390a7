import { describe, expect, it } from 'vitest';
import { connectEventStream, withLastId } from './event-stream.ts';
import type { EventSourceLike } from './event-source-like.ts';

class FakeSource implements EventSourceLike {
  onopen: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  readyState = 0;
  closed = false;
  listeners: Record<string, ((ev: { data: string; lastEventId?: string }) => void)[]> = {};
  constructor(readonly url: string) {}
  addEventListener(type: string, l: (ev: { data: string; lastEventId?: string }) => void) {
    (this.listeners[type] ??= []).push(l);
  }
  emit(type: string, data: unknown, lastEventId?: string) {
    for (const l of this.listeners[type] ?? []) l({ data: typeof data === 'string' ? data : JSON.stringify(data), lastEventId });
  }
  close() {
    this.closed = true;
  }
}

function setup() {
  const sources: FakeSource[] = [];
  const flushes: (() => void)[] = [];
  const batches: unknown[][] = [];
  const notes: string[] = [];
  const conn: boolean[] = [];
  const stop = connectEventStream(
    { url: '/api/v1/events', create: (u) => (sources.push(new FakeSource(u)), sources[sources.length - 1]), schedule: (f) => flushes.push(f) },
    { onChanges: (b) => batches.push(b), onNotification: (n) => notes.push(n.title), onConnection: (c) => conn.push(c) },
  );
  return { sources, flushes, batches, notes, conn, stop };
}

const change = (name: string, revision: number) => ({ type: 'MODIFIED', kind: 'Hardware', object: { metadata: { name } }, revision });

describe('event stream', () => {
  it('many change events become one batch per scheduled flush', () => {
    const t = setup();
    for (let i = 1; i <= 100; i++) t.sources[0].emit('change', change(`m${i}`, i), String(i));
    expect(t.flushes).toHaveLength(1);
    t.flushes[0]();
    expect(t.batches).toHaveLength(1);
    expect(t.batches[0]).toHaveLength(100);
  });

  it('malformed change data is dropped without stopping the stream', () => {
    const t = setup();
    t.sources[0].emit('change', 'not json');
    t.sources[0].emit('change', { type: 'EXPLODED', kind: 'Hardware', object: {} });
    t.sources[0].emit('change', change('ok', 1));
    t.flushes[0]();
    expect(t.batches[0]).toHaveLength(1);
  });

  it('notifications are delivered; connection state follows open and error', () => {
    const t = setup();
    t.sources[0].onopen?.({});
    t.sources[0].emit('notification', { level: 'info', title: 'Amber Falcon Orbit is Ready' });
    t.sources[0].onerror?.({});
    expect(t.notes).toEqual(['Amber Falcon Orbit is Ready']);
    expect(t.conn).toEqual([true, false]);
  });

  it('a closed source is reopened, resuming after the last event id; stop closes it', async () => {
    const t = setup();
    t.sources[0].emit('change', change('m', 41), '41');
    t.sources[0].readyState = 2;
    t.sources[0].onerror?.({});
    await new Promise((r) => setTimeout(r, 2100));
    expect(t.sources).toHaveLength(2);
    expect(t.sources[1].url).toBe('/api/v1/events?lastEventId=41');
    t.stop();
    expect(t.sources[1].closed).toBe(true);
  });

  it('withLastId replaces an older resume point', () => {
    expect(withLastId('/api/v1/events?lastEventId=3', '9')).toBe('/api/v1/events?lastEventId=9');
    expect(withLastId('/api/v1/events', '')).toBe('/api/v1/events');
  });
});
