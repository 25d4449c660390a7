import { describe, expect, it } from 'vitest';
import { BOOTREPLY, decodeDhcp, DecodeError, emptyPacket, encodeDhcp } from './codec.ts';
import { MessageType } from './options/message.ts';
import { probeExistingDhcp } from './probe.ts';
import type { SocketFactory } from './sockets.ts';

describe('probeExistingDhcp (in memory; the namespace test runs it against dnsmasq)', () => {
  it('broadcasts one DISCOVER and reports each server that offered, once, ignoring other xids', async () => {
    const sentTo: string[] = [];
    const factory: SocketFactory = async (spec) => ({
      send: async (data, port, address) => {
        sentTo.push(`${address}:${port}`);
        const d = decodeDhcp(data);
        if (d instanceof DecodeError) throw new Error(d.message);
        const offer = (serverId: string, xid = d.xid) => encodeDhcp({ ...emptyPacket(BOOTREPLY), xid, yiaddr: '10.1.0.50', options: { messageType: MessageType.OFFER, serverId } });
        setTimeout(() => {
          spec.onMessage(offer('10.1.0.1'), { address: '10.1.0.1', port: 67 });
          spec.onMessage(offer('10.1.0.1'), { address: '10.1.0.1', port: 67 });
          spec.onMessage(offer('10.1.0.9', d.xid + 1), { address: '10.1.0.9', port: 67 });
        }, 5);
      },
      close: async () => {},
    });
    const offers = await probeExistingDhcp('lo', 50, { socketFactory: factory, mac: '52:54:00:00:00:01' });
    expect(sentTo).toEqual(['255.255.255.255:67']);
    expect(offers).toEqual([{ serverId: '10.1.0.1', from: '10.1.0.1', yiaddr: '10.1.0.50' }]);
  });
});
