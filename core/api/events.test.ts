import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { createHarness, type Harness } from '../testing/api-harness.ts';

let h: Harness;
let base: string;
beforeAll(async () => {
  h = await createHarness();
  base = await h.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => h.close());

/** Reads SSE messages until `count` change events arrived. */
function readEvents(headers: Record<string, string>, count: number): Promise<Array<{ id: string; data: { type: string; object: { metadata: { name: string } } } }>> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/api/v1/events`, { headers }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
      let buf = '';
      const out: Array<{ id: string; data: { type: string; object: { metadata: { name: string } } } }> = [];
      res.on('data', (chunk) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const msg = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const id = /^id: (.*)$/m.exec(msg)?.[1];
          const ev = /^event: (.*)$/m.exec(msg)?.[1];
          const data = /^data: (.*)$/m.exec(msg)?.[1];
          if (ev === 'change' && id && data) out.push({ id, data: JSON.parse(data) });
          if (out.length >= count) {
            req.destroy();
            resolve(out);
          }
        }
      });
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
    req.end();
    setTimeout(() => reject(new Error('timed out waiting for events')), 5000).unref();
  });
}

const hw = (name: string, n: number) => ({ apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name }, spec: { macs: [`52:54:00:00:10:0${n}`] } });

describe('server-sent events', () => {
  it('streams changes live and resumes from Last-Event-ID without losing any', async () => {
    const live = readEvents(h.headers, 2);
    await new Promise((r) => setTimeout(r, 100));
    await h.app.inject({ method: 'POST', url: '/api/v1/hardware', headers: h.headers, payload: hw('e1', 1) });
    await h.app.inject({ method: 'POST', url: '/api/v1/hardware', headers: h.headers, payload: hw('e2', 2) });
    const got = await live;
    expect(got.map((e) => [e.data.type, e.data.object.metadata.name])).toEqual([
      ['ADDED', 'e1'],
      ['ADDED', 'e2'],
    ]);
    // Disconnected after e2; meanwhile two more changes happen.
    await h.app.inject({ method: 'POST', url: '/api/v1/hardware', headers: h.headers, payload: hw('e3', 3) });
    await h.app.inject({ method: 'DELETE', url: '/api/v1/hardware/e1', headers: h.headers });
    const resumed = await readEvents({ ...h.headers, 'last-event-id': got[1].id }, 2);
    expect(resumed.map((e) => [e.data.type, e.data.object.metadata.name])).toEqual([
      ['ADDED', 'e3'],
      ['DELETED', 'e1'],
    ]);
  });

  it('refuses a stream without credentials', async () => {
    await expect(readEvents({}, 1)).rejects.toThrow(/401/);
  });
});
