/**
 * Issue 14 with real servers on loopback: the full-mode DHCP server answers a relay agent
 * (giaddr), its ACK reaches the enrolment gate through the boot timeline, and the boot script
 * is fetched over real HTTP from the leased address (every 127/8 address is loopback) and
 * from another one. Nothing leaves loopback: the DHCP sockets refuse any other destination.
 */
import { createSocket, type Socket } from 'node:dgram';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { EnrolmentGate } from '../boot/enrolment.ts';
import { BootTimeline } from '../boot/timeline.ts';
import { clientPacket } from '../dhcp/client-messages.ts';
import { decodeDhcp, DecodeError, encodeDhcp, type DhcpPacket } from '../dhcp/codec.ts';
import { MessageType } from '../dhcp/options/message.ts';
import { createDhcpServer, type DhcpServer } from '../dhcp/server.ts';
import { loopbackSocketFactory } from '../dhcp/testing/loopback-sockets.ts';
import { createHarness, type Harness } from '../testing/api-harness.ts';

// Ports and relay address of their own, so this file runs beside core/dhcp/loopback.test.ts.
const PORTS = { server: 17767, client: 17768, pxe: 17769 };
const RELAY = '127.0.0.3';
const MAC = '52:54:00:e1:10:01';

let dhcp: DhcpServer | undefined;
let relay: Socket | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await dhcp?.close();
  relay?.close();
  await h?.close();
  dhcp = relay = h = undefined;
});

/** One DHCP message through a relay agent on RELAY, answered by the server's reply with the same xid. */
async function viaRelay(p: DhcpPacket): Promise<DhcpPacket> {
  if (!relay) {
    relay = createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((r) => relay!.bind(PORTS.server, RELAY, () => r()));
  }
  const sock = relay;
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no reply from the DHCP server')), 5000);
    const onMessage = (m: Buffer) => {
      const reply = decodeDhcp(m);
      if (reply instanceof DecodeError || reply.xid !== p.xid) return;
      clearTimeout(t);
      sock.off('message', onMessage);
      resolve(reply);
    };
    sock.on('message', onMessage);
    sock.send(encodeDhcp({ ...p, giaddr: RELAY, hops: 1 }), PORTS.server, '127.0.0.1');
  });
}

/** GET over real TCP, from a chosen loopback source address. */
function getFrom(localAddress: string, url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve(body));
    });
    req.on('error', reject).end();
  });
}

describe('enrolment binding with the real DHCP server on loopback', () => {
  it('the address leased through a relay gets a token over HTTP; another loopback address does not', async () => {
    const timeline = new BootTimeline({ recordBootStep: async () => {} }, new EnrolmentGate({ dhcpRuns: () => true }));
    h = await createHarness({ timeline });
    dhcp = createDhcpServer({
      mode: 'full',
      serverIp: '127.0.0.1',
      subnetMask: '255.0.0.0',
      range: { start: '127.0.0.100', end: '127.0.0.250' },
      socketFactory: loopbackSocketFactory(),
      ports: PORTS,
      onEvent: (e) => timeline.dhcp(e),
    });
    await dhcp.start();
    const offer = await viaRelay(clientPacket(MAC, { messageType: MessageType.DISCOVER }));
    const ack = await viaRelay(clientPacket(MAC, { messageType: MessageType.REQUEST, serverId: '127.0.0.1', requestedIp: offer.yiaddr }));
    expect(ack.options.messageType).toBe(MessageType.ACK);
    const leased = ack.yiaddr;

    const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `${base}/boot/ipxe?mac=${MAC}&platform=pcbios`;
    expect(await getFrom(leased, url)).toMatch(/dragonfly\.token=dfe1\./);
    const other = leased === '127.0.0.99' ? '127.0.0.98' : '127.0.0.99';
    const refused = await getFrom(other, url);
    expect(refused).not.toContain('dragonfly.token=');
    expect(refused).toContain(`no DHCP exchange of ${MAC} from ${other}`);
  });
});
