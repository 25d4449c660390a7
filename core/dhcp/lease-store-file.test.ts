import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFileLeaseStore } from './lease-store-file.ts';
import { MessageType } from './options/message.ts';
import { createDhcpServer } from './server.ts';
import { clientPacket } from './client-messages.ts';
import { decodeDhcp, DecodeError, encodeDhcp } from './codec.ts';
import { createMemoryNetwork } from './testing/memory-sockets.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dfd-leases-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lease = (n: number) => ({ ip: `10.0.0.${n}`, mac: `52:54:00:00:00:${n.toString(16).padStart(2, '0')}`, state: 'bound' as const, expiresAt: 1e12 + n });

describe('file lease store', () => {
  it('keeps leases across reopen, and forgets released ones', async () => {
    const path = join(dir, 'leases.json');
    const a = await openFileLeaseStore(path);
    await a.put(lease(1));
    await a.put(lease(2));
    await a.release('10.0.0.1');
    const b = await openFileLeaseStore(path);
    expect(await b.list()).toEqual([lease(2)]);
    expect(await b.get('10.0.0.2')).toEqual(lease(2));
  });

  it('has every one of 200 concurrent puts on disk when each resolves, and leaves no temp files', async () => {
    const path = join(dir, 'leases.json');
    const store = await openFileLeaseStore(path);
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        await store.put(lease(i + 1));
        const onDisk = JSON.parse(readFileSync(path, 'utf8')) as { leases: Array<{ ip: string }> };
        expect(onDisk.leases.some((l) => l.ip === `10.0.0.${i + 1}`)).toBe(true);
      }),
    );
    expect(readdirSync(dir)).toEqual(['leases.json']);
  });

  it('claim refuses a live lease of another MAC (nothing written), and release with a MAC spares another MAC’s lease', async () => {
    const path = join(dir, 'leases.json');
    let now = 1e12;
    const store = await openFileLeaseStore(path, { now: () => now });
    expect(await store.claim(lease(1))).toEqual({ ok: true });
    const rival = { ...lease(1), mac: '52:54:00:00:00:99' };
    expect(await store.claim(rival)).toEqual({ ok: false, holder: lease(1) });
    expect(await (await openFileLeaseStore(path)).get('10.0.0.1')).toEqual(lease(1));
    await store.release('10.0.0.1', rival.mac);
    expect(await (await openFileLeaseStore(path)).get('10.0.0.1')).toEqual(lease(1));
    now = lease(1).expiresAt; // expired: anyone may claim it
    expect(await store.claim(rival)).toEqual({ ok: true });
    await store.release('10.0.0.1', lease(1).mac);
    expect(await (await openFileLeaseStore(path)).get('10.0.0.1')).toEqual(rival);
    await store.release('10.0.0.1', rival.mac);
    expect(await (await openFileLeaseStore(path)).list()).toEqual([]);
  });

  it('refuses to start on a corrupt file, saying what to do', async () => {
    const path = join(dir, 'leases.json');
    writeFileSync(path, '{"version":1,"leases":[');
    await expect(openFileLeaseStore(path)).rejects.toThrow(`lease file ${path} is not valid JSON; move it away to start with no leases`);
  });

  it('a restarted server never offers another client an address it had ACKed', async () => {
    const path = join(dir, 'leases.json');
    const run = async () => {
      const net = createMemoryNetwork();
      const server = createDhcpServer({ mode: 'full', serverIp: '10.0.0.1', subnetMask: '255.255.255.0', range: { start: '10.0.0.10', end: '10.0.0.11' }, leaseStore: await openFileLeaseStore(path), socketFactory: net.factory });
      await server.start();
      const ask = async (mac: string, opts: Parameters<typeof clientPacket>[1]) => {
        const n = net.sent.length;
        net.deliver(67, encodeDhcp(clientPacket(mac, opts)));
        const p = decodeDhcp((await net.waitForSent(n + 1))[n].data);
        if (p instanceof DecodeError) throw new Error(p.message);
        return p;
      };
      return { server, ask };
    };
    const first = await run();
    const offer = await first.ask('52:54:00:00:00:01', { messageType: MessageType.DISCOVER });
    const ack = await first.ask('52:54:00:00:00:01', { messageType: MessageType.REQUEST, serverId: '10.0.0.1', requestedIp: offer.yiaddr });
    expect(ack.options.messageType).toBe(MessageType.ACK);
    await first.server.close();
    const second = await run();
    const other = await second.ask('52:54:00:00:00:02', { messageType: MessageType.DISCOVER });
    expect(other.yiaddr).not.toBe(ack.yiaddr);
    const back = await second.ask('52:54:00:00:00:01', { messageType: MessageType.DISCOVER });
    expect(back.yiaddr).toBe(ack.yiaddr);
    await second.server.close();
  });
});
