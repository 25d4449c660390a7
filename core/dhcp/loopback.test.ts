/**
 * The server over real UDP sockets on loopback: a relay agent talking to it (giaddr), and a
 * flood of random and mutated datagrams that must not stop it answering a valid client or
 * make its memory grow. A guard refuses any send to a non-loopback address.
 */
import { createSocket, type Socket } from 'node:dgram';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeDhcp, DecodeError, encodeDhcp, type DhcpPacket } from './codec.ts';
import { clientPacket } from './client-messages.ts';
import { MessageType } from './options/message.ts';
import { createDhcpServer, type DhcpServer } from './server.ts';
import { createFuzzer } from './testing/fuzz.ts';
import { loopbackSocketFactory } from './testing/loopback-sockets.ts';

// A real collection before each heap reading (vitest runs without --expose-gc): "flat memory"
// then measures what the server keeps, not garbage not yet collected.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const PORTS = { server: 16767, client: 16768, pxe: 16769 };
const RELAY = '127.0.0.2';
const MAC = '52:54:00:12:34:56';

let server: DhcpServer | undefined;
let relay: Socket | undefined;
afterEach(async () => {
  await server?.close();
  relay?.close();
  server = relay = undefined;
});

async function start(): Promise<DhcpServer> {
  const s = createDhcpServer({
    mode: 'full',
    serverIp: '127.0.0.1',
    subnetMask: '255.0.0.0',
    range: { start: '127.0.0.100', end: '127.0.0.250' },
    reservations: [{ mac: MAC, ip: '127.0.0.50' }],
    socketFactory: loopbackSocketFactory(),
    ports: PORTS,
  });
  await s.start();
  return s;
}

/** A relay agent on 127.0.0.2:16767 that forwards a client message and waits for the reply with its xid. */
async function openRelay(): Promise<(p: DhcpPacket, timeoutMs?: number) => Promise<DhcpPacket>> {
  const sock = createSocket({ type: 'udp4', reuseAddr: true });
  relay = sock;
  const waiting = new Map<number, (p: DhcpPacket) => void>();
  sock.on('message', (m) => {
    const p = decodeDhcp(m);
    if (!(p instanceof DecodeError)) waiting.get(p.xid)?.(p);
  });
  await new Promise<void>((r) => sock.bind(PORTS.server, RELAY, () => r()));
  return (p, timeoutMs = 3000) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no reply from the server')), timeoutMs);
      waiting.set(p.xid, (reply) => (clearTimeout(t), resolve(reply)));
      sock.send(encodeDhcp({ ...p, giaddr: RELAY, hops: 1 }), PORTS.server, '127.0.0.1');
    });
}

describe('over loopback UDP', () => {
  it('answers a relay agent on its server port with giaddr kept, for DISCOVER and REQUEST', async () => {
    server = await start();
    const ask = await openRelay();
    const offer = await ask(clientPacket('52:54:00:00:00:01', { messageType: MessageType.DISCOVER }));
    expect(offer.options.messageType).toBe(MessageType.OFFER);
    expect(offer.giaddr).toBe(RELAY);
    const ack = await ask(clientPacket('52:54:00:00:00:01', { messageType: MessageType.REQUEST, serverId: '127.0.0.1', requestedIp: offer.yiaddr }));
    expect(ack.options.messageType).toBe(MessageType.ACK);
    expect(ack.yiaddr).toBe(offer.yiaddr);
  });

  it('keeps answering a valid client through 100k random and mutated datagrams, with flat memory', async () => {
    server = await start();
    const ask = await openRelay();
    // Like a real client, retransmit: under the flood the kernel may drop a datagram when the socket queue is full.
    const valid = async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return (await ask(clientPacket(MAC, { messageType: MessageType.DISCOVER }), 500)).yiaddr;
        } catch (e) {
          if (attempt === 5) throw e;
        }
      }
    };
    expect(await valid()).toBe('127.0.0.50');
    const flood = createSocket({ type: 'udp4' });
    await new Promise<void>((r) => flood.bind(0, '127.0.0.3', () => r()));
    const next = createFuzzer(42);
    const sendBatch = (n: number) => Promise.all(Array.from({ length: n }, () => new Promise<void>((r) => flood.send(next(), PORTS.server, '127.0.0.1', () => r()))));
    await sendBatch(5000); // warm up before measuring
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    // Closed-loop pacing: send the next small batch once the server has read most of the last,
    // so the datagrams reach the parser instead of overflowing the kernel's socket queue.
    let sent = 0;
    const srv = server;
    for (let i = 0; i < 2000; i++) {
      await sendBatch(50);
      sent += 50;
      for (let spin = 0; spin < 50 && sent - srv.stats().received > 60; spin++) await new Promise((r) => setImmediate(r));
      if (i % 500 === 499) expect(await valid()).toBe('127.0.0.50');
    }
    flood.close();
    await new Promise((r) => setTimeout(r, 200));
    collectGarbage();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    const stats = server.stats();
    expect(stats.received).toBeGreaterThan(80_000); // loopback may drop a few under load; most arrive
    expect(stats.decodeErrors).toBeGreaterThan(1000);
    expect(stats.handlerErrors).toBe(0);
    expect(growth).toBeLessThan(40 * 1024 * 1024);
    expect(await valid()).toBe('127.0.0.50');
  });
});
