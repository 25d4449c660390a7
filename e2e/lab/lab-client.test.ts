import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The lab client reads its address and token when it is imported.
let server: Server;
let seen: { url?: string; auth?: string } = {};
let labEvents: typeof import('./lab-client.ts').labEvents;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen = { url: req.url, auth: req.headers.authorization };
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // One event split across writes, as TCP may deliver it; then the server ends the stream.
    res.write('retry: 2000\n: connected at revision 41\n\nid: 42\nevent: cha');
    setTimeout(() => res.end('nge\ndata: {"revision":42}\n\nevent: notification\ndata: {"a":1}\n\n'), 20);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.env.LAB_API_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.LAB_TOKEN = 'tok';
  ({ labEvents } = await import('./lab-client.ts'));
});
afterAll(() => server.close());

describe('labEvents (the lab scripts reading /api/v1/events)', () => {
  it('replays from the revision given, with the token, and yields whole events however the bytes arrive', async () => {
    const got = [];
    for await (const e of labEvents(40, new AbortController().signal)) got.push(e);
    expect(seen).toEqual({ url: '/api/v1/events?lastEventId=40', auth: 'Bearer tok' });
    expect(got).toEqual([
      { comment: 'connected at revision 41' },
      { event: 'change', data: '{"revision":42}' },
      { event: 'notification', data: '{"a":1}' },
    ]);
  });
});
