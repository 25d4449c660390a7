import { describe, expect, it } from 'vitest';
import { fakeBootPolicy } from './testing/fake-boot-policy.ts';
import { decodeDhcp, DecodeError, encodeDhcp, type DhcpPacket } from './codec.ts';
import type { DhcpEvent } from './events.ts';
import { createMemoryLeaseStore } from './lease-store.ts';
import { MessageType } from './options/message.ts';
import { pxeSubOption } from './options/pxe-vendor.ts';
import { createDhcpServer, type DhcpServerOptions } from './server.ts';
import { clientPacket, pxeDiscover } from './client-messages.ts';
import { createMemoryNetwork } from './testing/memory-sockets.ts';

const MAC = '52:54:00:00:00:01';
const urls = { ipxeScriptUrl: 'http://10.9.0.1:8080/boot/ipxe?mac=${net0/mac}', httpBootBase: 'http://10.9.0.1:8080/ipxe/' };
const ports = { server: 67, client: 68, pxe: 4011 };

function decode(b: Uint8Array): DhcpPacket {
  const p = decodeDhcp(b);
  if (p instanceof DecodeError) throw new Error(p.message);
  return p;
}

async function fullServer(over: Partial<DhcpServerOptions> = {}) {
  const net = createMemoryNetwork();
  const events: DhcpEvent[] = [];
  let t = 1_000_000;
  const server = createDhcpServer({
    mode: 'full',
    serverIp: '10.9.0.1',
    subnetMask: '255.255.255.0',
    range: { start: '10.9.0.100', end: '10.9.0.102' },
    router: '10.9.0.1',
    dns: ['10.9.0.1'],
    domain: 'lab',
    leaseSeconds: 600,
    bootPolicy: fakeBootPolicy(urls),
    socketFactory: net.factory,
    onEvent: (e) => events.push(e),
    clock: () => t,
    ports,
    ...over,
  });
  await server.start();
  const exchange = async (p: DhcpPacket, from = { address: '0.0.0.0', port: 68 }) => {
    const before = net.sent.length;
    net.deliver(67, encodeDhcp(p), from);
    const sent = await net.waitForSent(before + 1);
    return { reply: decode(sent[before].data), to: sent[before].to };
  };
  const silent = async (p: DhcpPacket) => {
    const before = net.sent.length;
    const dropsBefore = server.stats().dropped;
    const eventsBefore = events.length;
    net.deliver(67, encodeDhcp(p));
    for (let i = 0; i < 50 && server.stats().dropped === dropsBefore && events.length === eventsBefore; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 5));
    return net.sent.length - before;
  };
  return { server, net, events, exchange, silent, advance: (ms: number) => (t += ms) };
}

async function lease(s: Awaited<ReturnType<typeof fullServer>>, mac = MAC) {
  const offer = (await s.exchange(clientPacket(mac, { messageType: MessageType.DISCOVER }))).reply;
  const ack = (await s.exchange(clientPacket(mac, { messageType: MessageType.REQUEST, serverId: '10.9.0.1', requestedIp: offer.yiaddr }))).reply;
  return { offer, ack };
}

describe('full mode', () => {
  it('offers an address from the range with lease time, router, DNS, domain, and broadcasts it', async () => {
    const s = await fullServer();
    const { reply, to } = await s.exchange(clientPacket(MAC, { messageType: MessageType.DISCOVER }));
    expect(reply.options.messageType).toBe(MessageType.OFFER);
    expect(reply.yiaddr).toBe('10.9.0.100');
    expect(reply.options).toMatchObject({ serverId: '10.9.0.1', leaseSeconds: 600, renewalSeconds: 300, rebindingSeconds: 525, subnetMask: '255.255.255.0', routers: ['10.9.0.1'], dnsServers: ['10.9.0.1'], domainName: 'lab', broadcastAddress: '10.9.0.255' });
    expect(reply.file).toBe('');
    expect(to).toEqual({ address: '255.255.255.255', port: 68 });
    await s.server.close();
  });

  it('ACKs the REQUEST for its offer and reports offer and ack events with the MAC', async () => {
    const s = await fullServer();
    const { ack } = await lease(s);
    expect(ack.options.messageType).toBe(MessageType.ACK);
    expect(ack.yiaddr).toBe('10.9.0.100');
    expect(s.events.map((e) => e.type)).toEqual(['discover', 'offer', 'request', 'ack']);
    expect(s.events.every((e) => e.mac === MAC)).toBe(true);
    await s.server.close();
  });

  it('gives a BIOS PXE ROM undionly.kpxe and next-server, and iPXE the script URL', async () => {
    const s = await fullServer();
    const bios = (await s.exchange(pxeDiscover(MAC, 0))).reply;
    expect(bios.file).toBe('undionly.kpxe');
    expect(bios.siaddr).toBe('10.9.0.1');
    const ipxe = (await s.exchange(pxeDiscover(MAC, 7, { userClass: { format: 'plain', text: 'iPXE' } }))).reply;
    expect(ipxe.options.bootfileName).toBe(urls.ipxeScriptUrl);
    await s.server.close();
  });

  it('gives a UEFI HTTP boot client an http URL and echoes vendor class HTTPClient', async () => {
    const s = await fullServer();
    const req = clientPacket(MAC, { messageType: MessageType.DISCOVER, vendorClass: 'HTTPClient:Arch:00016:UNDI:003001', clientArch: [16] });
    const offer = (await s.exchange(req)).reply;
    expect(offer.options.vendorClass).toBe('HTTPClient');
    expect(offer.options.bootfileName).toBe('http://10.9.0.1:8080/ipxe/snponly.efi');
    await s.server.close();
  });

  it('NAKs through a relay with the broadcast bit set (RFC 2131 4.3.2)', async () => {
    const s = await fullServer();
    const { reply, to } = await s.exchange(clientPacket(MAC, { messageType: MessageType.REQUEST, requestedIp: '192.168.1.5' }, { giaddr: '10.9.0.254', flags: 0 }));
    expect(reply.options.messageType).toBe(MessageType.NAK);
    expect(reply.flags & 0x8000).toBe(0x8000);
    expect(to).toEqual({ address: '10.9.0.254', port: 67 });
    await s.server.close();
  });

  it('keeps the same address for the same MAC and gives a reservation its fixed address', async () => {
    const s = await fullServer({ reservations: [{ mac: '52-54-00-00-00-09', ip: '10.9.0.50' }] });
    const first = (await lease(s)).ack.yiaddr;
    expect((await lease(s)).ack.yiaddr).toBe(first);
    expect((await lease(s, '52:54:00:00:00:09')).ack.yiaddr).toBe('10.9.0.50');
    await s.server.close();
  });

  it('ignores a REQUEST for another server and frees the address it had offered', async () => {
    const s = await fullServer({ range: { start: '10.9.0.100', end: '10.9.0.100' } });
    await s.exchange(clientPacket(MAC, { messageType: MessageType.DISCOVER }));
    expect(await s.silent(clientPacket(MAC, { messageType: MessageType.REQUEST, serverId: '10.9.0.2', requestedIp: '10.9.0.200' }))).toBe(0);
    const other = (await s.exchange(clientPacket('52:54:00:00:00:02', { messageType: MessageType.DISCOVER }))).reply;
    expect(other.yiaddr).toBe('10.9.0.100');
    await s.server.close();
  });

  it('NAKs INIT-REBOOT for a wrong-network address and for an address leased to someone else', async () => {
    const s = await fullServer();
    const { ack } = await lease(s);
    const wrong = (await s.exchange(clientPacket(MAC, { messageType: MessageType.REQUEST, requestedIp: '192.168.1.5' }))).reply;
    expect(wrong.options.messageType).toBe(MessageType.NAK);
    expect(wrong.options.message).toBe('192.168.1.5 is not on this network');
    const taken = (await s.exchange(clientPacket('52:54:00:00:00:02', { messageType: MessageType.REQUEST, requestedIp: ack.yiaddr }))).reply;
    expect(taken.options.messageType).toBe(MessageType.NAK);
    await s.server.close();
  });

  it('ACKs INIT-REBOOT for its own lease and stays silent for an unknown in-range address (RFC 2131 4.3.2)', async () => {
    const s = await fullServer();
    const { ack } = await lease(s);
    const again = (await s.exchange(clientPacket(MAC, { messageType: MessageType.REQUEST, requestedIp: ack.yiaddr }))).reply;
    expect(again.options.messageType).toBe(MessageType.ACK);
    expect(await s.silent(clientPacket('52:54:00:00:00:03', { messageType: MessageType.REQUEST, requestedIp: '10.9.0.102' }))).toBe(0);
    await s.server.close();
  });

  it('renews by unicast to ciaddr', async () => {
    const s = await fullServer();
    const { ack } = await lease(s);
    const { reply, to } = await s.exchange(clientPacket(MAC, { messageType: MessageType.REQUEST }, { ciaddr: ack.yiaddr, flags: 0 }));
    expect(reply.options.messageType).toBe(MessageType.ACK);
    expect(to).toEqual({ address: ack.yiaddr, port: 68 });
    await s.server.close();
  });

  it('RELEASE frees the address for the next client', async () => {
    const s = await fullServer({ range: { start: '10.9.0.100', end: '10.9.0.100' } });
    const { ack } = await lease(s);
    await s.silent(clientPacket(MAC, { messageType: MessageType.RELEASE, serverId: '10.9.0.1' }, { ciaddr: ack.yiaddr }));
    expect(s.events.at(-1)).toMatchObject({ type: 'release', ip: '10.9.0.100' });
    expect((await lease(s, '52:54:00:00:00:02')).ack.yiaddr).toBe('10.9.0.100');
    await s.server.close();
  });

  it('DECLINE keeps the address out until the hold passes', async () => {
    const s = await fullServer({ range: { start: '10.9.0.100', end: '10.9.0.101' }, declineHoldSeconds: 60 });
    const { ack } = await lease(s);
    await s.silent(clientPacket(MAC, { messageType: MessageType.DECLINE, serverId: '10.9.0.1', requestedIp: ack.yiaddr }));
    expect((await s.exchange(clientPacket(MAC, { messageType: MessageType.DISCOVER }))).reply.yiaddr).toBe('10.9.0.101');
    expect(await s.silent(clientPacket('52:54:00:00:00:02', { messageType: MessageType.DISCOVER }))).toBe(0); // .100 declined, .101 offered
    s.advance(61_000);
    expect((await s.exchange(clientPacket('52:54:00:00:00:02', { messageType: MessageType.DISCOVER }))).reply.yiaddr).toBe('10.9.0.100');
    await s.server.close();
  });

  it('INFORM gets an ACK with options but no yiaddr and no lease time, unicast to ciaddr', async () => {
    const s = await fullServer();
    const { reply, to } = await s.exchange(clientPacket(MAC, { messageType: MessageType.INFORM }, { ciaddr: '10.9.0.33', flags: 0 }));
    expect(reply.options.messageType).toBe(MessageType.ACK);
    expect(reply.yiaddr).toBe('0.0.0.0');
    expect(reply.options.leaseSeconds).toBeUndefined();
    expect(reply.options.routers).toEqual(['10.9.0.1']);
    expect(to.address).toBe('10.9.0.33');
    await s.server.close();
  });

  it('answers a relayed DISCOVER to the relay on port 67 and echoes option 82', async () => {
    const s = await fullServer();
    const relay = { subOptions: [{ code: 1, data: Uint8Array.of(7) }] };
    const { reply, to } = await s.exchange(clientPacket(MAC, { messageType: MessageType.DISCOVER, relayAgentInfo: relay }, { giaddr: '10.9.0.254', hops: 1 }));
    expect(to).toEqual({ address: '10.9.0.254', port: 67 });
    expect(reply.giaddr).toBe('10.9.0.254');
    expect(reply.options.relayAgentInfo).toEqual(relay);
    await s.server.close();
  });

  it('on an exhausted pool sends no OFFER, warns, counts, and keeps serving', async () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (_o: object | string, m?: string) => warnings.push(m ?? ''), error() {}, child() { return logger; } };
    const s = await fullServer({ range: { start: '10.9.0.100', end: '10.9.0.100' }, logger });
    await lease(s);
    expect(await s.silent(clientPacket('52:54:00:00:00:02', { messageType: MessageType.DISCOVER }))).toBe(0);
    expect(s.server.stats().poolExhausted).toBe(1);
    expect(warnings).toContain('DHCP pool exhausted: no address to offer');
    expect((await lease(s)).ack.options.messageType).toBe(MessageType.ACK);
    await s.server.close();
  });

  it('skips an address the ping probe finds in use', async () => {
    const s = await fullServer({ probeAddressInUse: async (ip) => ip === '10.9.0.100' });
    expect((await s.exchange(clientPacket(MAC, { messageType: MessageType.DISCOVER }))).reply.yiaddr).toBe('10.9.0.101');
    await s.server.close();
  });

  it('after a restart with the same store, never offers a bound address to another client', async () => {
    const store = createMemoryLeaseStore();
    const s1 = await fullServer({ leaseStore: store });
    const { ack } = await lease(s1);
    await s1.server.close();
    const s2 = await fullServer({ leaseStore: store });
    const offer = (await s2.exchange(clientPacket('52:54:00:00:00:02', { messageType: MessageType.DISCOVER }))).reply;
    expect(offer.yiaddr).not.toBe(ack.yiaddr);
    await s2.server.close();
  });

  it('counts and drops garbage without dying', async () => {
    const s = await fullServer();
    s.net.deliver(67, Uint8Array.of(1, 2, 3));
    expect(s.server.stats().decodeErrors).toBe(1);
    expect((await lease(s)).ack.options.messageType).toBe(MessageType.ACK);
    await s.server.close();
  });
});

describe('proxy mode', () => {
  async function proxyServer() {
    const net = createMemoryNetwork();
    const events: DhcpEvent[] = [];
    const server = createDhcpServer({ mode: 'proxy', serverIp: '10.9.0.1', subnetMask: '255.255.255.0', bootPolicy: fakeBootPolicy(urls), socketFactory: net.factory, onEvent: (e) => events.push(e), ports });
    await server.start();
    return { server, net, events };
  }

  it('binds 67 and 4011 and releases both on close', async () => {
    const s = await proxyServer();
    expect(s.net.boundPorts()).toEqual([67, 4011]);
    await s.server.close();
    expect(s.net.boundPorts()).toEqual([]);
  });

  it('offers a BIOS ROM the PXE menu, no address, PXEClient, echoed UUID', async () => {
    const s = await proxyServer();
    s.net.deliver(67, encodeDhcp(pxeDiscover(MAC, 0)));
    const offer = decode((await s.net.waitForSent(1))[0].data);
    expect(offer.yiaddr).toBe('0.0.0.0');
    expect(offer.options.vendorClass).toBe('PXEClient');
    expect(offer.options.clientUuid?.uuid).toEqual(Uint8Array.from({ length: 16 }, (_, i) => i));
    expect(pxeSubOption(offer.options.vendorSpecific, 'boot-servers')?.servers[0].ips).toEqual(['10.9.0.1']);
    await s.server.close();
  });

  it('offers UEFI x64 the boot file right in the OFFER with discovery control 8', async () => {
    const s = await proxyServer();
    s.net.deliver(67, encodeDhcp(pxeDiscover(MAC, 7)));
    const offer = decode((await s.net.waitForSent(1))[0].data);
    expect(offer.file).toBe('snponly.efi');
    expect(offer.siaddr).toBe('10.9.0.1');
    expect(pxeSubOption(offer.options.vendorSpecific, 'discovery-control')?.value).toBe(8);
    await s.server.close();
  });

  it('offers iPXE (user class "iPXE") the boot script URL', async () => {
    const s = await proxyServer();
    s.net.deliver(67, encodeDhcp(pxeDiscover(MAC, 7, { userClass: { format: 'plain', text: 'iPXE' } })));
    const offer = decode((await s.net.waitForSent(1))[0].data);
    expect(offer.options.bootfileName).toBe(urls.ipxeScriptUrl);
    expect(offer.yiaddr).toBe('0.0.0.0');
    expect(s.events.map((e) => e.type)).toEqual(['discover', 'offer']);
    await s.server.close();
  });

  it('ignores a plain DHCP client', async () => {
    const s = await proxyServer();
    s.net.deliver(67, encodeDhcp(clientPacket(MAC, { messageType: MessageType.DISCOVER })));
    await new Promise((r) => setTimeout(r, 30));
    expect(s.net.sent).toHaveLength(0);
    expect(s.server.stats().dropped).toBe(1);
    await s.server.close();
  });

  it('ACKs a 4011 REQUEST with the boot file, echoing the boot item, to the asking address', async () => {
    const s = await proxyServer();
    const req = pxeDiscover(MAC, 0, { messageType: MessageType.REQUEST, vendorSpecific: { format: 'pxe', ended: true, items: [{ kind: 'boot-item', type: 0x8000, layer: 0 }] } }, { ciaddr: '10.9.0.77', flags: 0 });
    s.net.deliver(4011, encodeDhcp(req), { address: '10.9.0.77', port: 68 });
    const [sent] = await s.net.waitForSent(1);
    const ack = decode(sent.data);
    expect(sent.to).toEqual({ address: '10.9.0.77', port: 68 });
    expect(sent.fromPort).toBe(4011);
    expect(ack.options.messageType).toBe(MessageType.ACK);
    expect(ack.file).toBe('undionly.kpxe');
    expect(pxeSubOption(ack.options.vendorSpecific, 'boot-item')).toMatchObject({ type: 0x8000, layer: 0 });
    await s.server.close();
  });
});

describe('off mode and errors', () => {
  it('off binds nothing', async () => {
    const net = createMemoryNetwork();
    const server = createDhcpServer({ mode: 'off', socketFactory: net.factory });
    await server.start();
    expect(net.boundPorts()).toEqual([]);
  });

  it('start() rejects with a clear message when the range is outside the subnet', async () => {
    const net = createMemoryNetwork();
    const server = createDhcpServer({ mode: 'full', serverIp: '10.9.0.1', subnetMask: '255.255.255.0', range: { start: '10.8.0.1', end: '10.8.0.9' }, socketFactory: net.factory });
    await expect(server.start()).rejects.toThrow('DHCP range address 10.8.0.1 is outside the subnet of 10.9.0.1/255.255.255.0');
  });
});
