/**
 * Two full-mode DHCP servers sharing one real etcd (the failover window of swarm mode, or a
 * split brain): real DHCP packets through the codec, each server with its own etcd client.
 * An address one instance bound is never ACKed by the other: its REQUEST gets a DHCPNAK that
 * says so (option 56), the refusal is logged, and the address is not offered again.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPeers, peersPresent } from '../testing/peers.ts';
import type { Etcd3 } from 'etcd3';
import { clientPacket } from '../dhcp/client-messages.ts';
import { decodeDhcp, DecodeError, encodeDhcp, type DhcpPacket } from '../dhcp/codec.ts';
import type { DhcpEvent } from '../dhcp/events.ts';
import type { Lease, LeaseStore } from '../dhcp/lease-store.ts';
import { MessageType } from '../dhcp/options/message.ts';
import { createDhcpServer, type DhcpServer } from '../dhcp/server.ts';
import { createMemoryNetwork } from '../dhcp/testing/memory-sockets.ts';
import { connectSwarmEtcd } from './etcd-client.ts';
import { createEtcdLeaseStore, type EtcdLeaseStore } from './etcd-lease-store.ts';
import { createEtcdNode, type EtcdNode } from './testing/etcd-node.ts';
import { recordingLogger, type LogLine } from './testing/recording-logger.ts';

let etcd: EtcdNode;
const clients: Etcd3[] = [];
const servers: DhcpServer[] = [];

beforeAll(async () => {
  if (!peersPresent(['etcd'])) return; // the suites below fail or skip, naming it
  etcd = await createEtcdNode();
  await etcd.start();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  for (const c of clients) c.close();
  await etcd?.destroy();
});

const RANGE = { start: '10.9.0.100', end: '10.9.0.139' };
const mac = (i: number) => `02:00:00:00:00:${i.toString(16).padStart(2, '0')}`;

function etcdStore(prefix: string, now?: () => number): { store: EtcdLeaseStore; client: Etcd3 } {
  const client = connectSwarmEtcd({ endpoints: [etcd.endpoint], requestTimeoutMs: 5000 });
  clients.push(client);
  return { store: createEtcdLeaseStore({ client, prefix, now }), client };
}

function decode(b: Uint8Array): DhcpPacket {
  const p = decodeDhcp(b);
  if (p instanceof DecodeError) throw new Error(p.message);
  return p;
}

/** One Dragonfly instance: a full-mode server with its own sockets, log and lease store client. */
async function instance(serverIp: string, store: LeaseStore, clock?: () => number) {
  const net = createMemoryNetwork();
  const lines: LogLine[] = [];
  const events: DhcpEvent[] = [];
  const server = createDhcpServer({
    mode: 'full', serverIp, subnetMask: '255.255.255.0', range: RANGE, leaseSeconds: 600,
    leaseStore: store, socketFactory: net.factory, logger: recordingLogger(lines), onEvent: (e) => events.push(e), clock,
  });
  servers.push(server);
  await server.start();
  const exchange = async (p: DhcpPacket): Promise<DhcpPacket> => {
    const before = net.sent.length;
    net.deliver(67, encodeDhcp(p));
    const sent = await net.waitForSent(before + 1, 10_000);
    return decode(sent[before]!.data);
  };
  const silent = async (p: DhcpPacket): Promise<number> => {
    const before = net.sent.length;
    const seen = events.length;
    net.deliver(67, encodeDhcp(p));
    for (let i = 0; i < 400 && events.length === seen; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    return net.sent.length - before;
  };
  return {
    serverIp, server, lines, events, exchange, silent,
    discover: (m: string) => exchange(clientPacket(m, { messageType: MessageType.DISCOVER })),
    /** SELECTING-state REQUEST for an offer of this instance. */
    request: (m: string, ip: string) => exchange(clientPacket(m, { messageType: MessageType.REQUEST, serverId: serverIp, requestedIp: ip })),
  };
}

async function pair(prefix: string, clock?: () => number) {
  const a = await instance('10.9.0.1', etcdStore(prefix, clock).store, clock);
  const b = await instance('10.9.0.2', etcdStore(prefix, clock).store, clock);
  return { a, b, view: etcdStore(prefix).store };
}

describeWithPeers(['etcd'], 'two instances on one etcd: an address held by the other instance', () => {
  it('a REQUEST for it gets a DHCPNAK naming the problem, logged, and the address is not offered again', async () => {
    const { a, b, view } = await pair('/claim-nak/');
    // Both instances loaded an empty store, so both offer the first address.
    const offerB = await b.discover(mac(2));
    const offerA = await a.discover(mac(1));
    expect(offerB.yiaddr).toBe(RANGE.start);
    expect(offerA.yiaddr).toBe(RANGE.start);
    expect((await a.request(mac(1), offerA.yiaddr)).options.messageType).toBe(MessageType.ACK);

    const nak = await b.request(mac(2), offerB.yiaddr);
    expect(nak.options.messageType).toBe(MessageType.NAK);
    expect(nak.yiaddr).toBe('0.0.0.0');
    expect(nak.options.message).toBe(`address ${RANGE.start} is taken by another instance`);
    expect(b.events.at(-1)).toMatchObject({ type: 'nak', mac: mac(2), ip: RANGE.start, reason: `address ${RANGE.start} is taken by another instance` });
    expect(b.server.stats()).toMatchObject({ naks: 1, acks: 0 });
    expect(b.lines).toContainEqual(expect.objectContaining({
      level: 'warn', msg: `DHCPNAK: address ${RANGE.start} is taken by another instance`, fields: expect.objectContaining({ ip: RANGE.start, mac: mac(2), holder: mac(1) }),
    }));
    expect(await view.get(RANGE.start)).toMatchObject({ mac: mac(1), state: 'bound' });

    // The refused client starts over and gets another address; nobody gets the taken one from B.
    const again = await b.discover(mac(2));
    expect(again.yiaddr).not.toBe(RANGE.start);
    expect((await b.request(mac(2), again.yiaddr)).options.messageType).toBe(MessageType.ACK);
    expect((await b.discover(mac(3))).yiaddr).not.toBe(RANGE.start);
    // An INIT-REBOOT for it from the loser is refused too, with the same reason.
    const reboot = await b.exchange(clientPacket(mac(2), { messageType: MessageType.REQUEST, requestedIp: RANGE.start }));
    expect(reboot.options).toMatchObject({ messageType: MessageType.NAK, message: `address ${RANGE.start} is taken by another instance` });
    expect((await view.get(RANGE.start))?.mac).toBe(mac(1));
  });

  it('a RENEWING client unknown to this instance is NAKed when the other instance holds its address', async () => {
    const { a, b, view } = await pair('/claim-renew/');
    const offer = await a.discover(mac(1));
    await a.request(mac(1), offer.yiaddr);
    // mac(9) claims (unicast renewal) an address it never got; B has no local record of it.
    const renew = await b.exchange(clientPacket(mac(9), { messageType: MessageType.REQUEST }, { ciaddr: offer.yiaddr, flags: 0 }));
    expect(renew.options).toMatchObject({ messageType: MessageType.NAK, message: `address ${offer.yiaddr} is taken by another instance` });
    // The holder itself renewing at B (after a failover) is ACKed: the claim is its own.
    const own = await b.exchange(clientPacket(mac(1), { messageType: MessageType.REQUEST }, { ciaddr: offer.yiaddr, flags: 0 }));
    expect(own.options.messageType).toBe(MessageType.ACK);
    expect((await view.get(offer.yiaddr))?.mac).toBe(mac(1));
  });

  it('DISCOVER at the other instance skips it, and says so in the log', async () => {
    const { a, b } = await pair('/claim-discover/');
    await a.request(mac(1), (await a.discover(mac(1))).yiaddr);
    const offer = await b.discover(mac(2)); // B loaded nothing and its own cursor starts at the same address
    expect(offer.yiaddr).not.toBe(RANGE.start);
    expect(b.lines).toContainEqual(expect.objectContaining({ level: 'info', msg: 'address is bound by another instance (shared lease store); not offering it', fields: expect.objectContaining({ ip: RANGE.start }) }));
  });
});

/**
 * Both instances offer the same address to different clients; both REQUESTs are then
 * delivered at once. Returns, per round, the MACs that were ACKed and what etcd holds.
 */
async function race(a: Awaited<ReturnType<typeof instance>>, b: Awaited<ReturnType<typeof instance>>, view: LeaseStore, rounds: number) {
  const results: Array<{ ip: string; acked: string[]; naks: Array<string | undefined>; inEtcd?: Lease }> = [];
  for (let r = 0; r < rounds; r++) {
    const [ma, mb] = [mac(0x10 + 2 * r), mac(0x11 + 2 * r)];
    const [oa, ob] = await Promise.all([a.discover(ma), b.discover(mb)]);
    expect(oa.yiaddr, `round ${r}: both instances offer the same address`).toBe(ob.yiaddr);
    const sends = [() => a.request(ma, oa.yiaddr), () => b.request(mb, ob.yiaddr)];
    if (r % 2) sends.reverse();
    const replies = await Promise.all(sends.map((send) => send()));
    const byMac = new Map(replies.map((p) => [[...p.chaddr.slice(0, 6)].map((x) => x.toString(16).padStart(2, '0')).join(':'), p]));
    results.push({
      ip: oa.yiaddr,
      acked: [ma, mb].filter((m) => byMac.get(m)?.options.messageType === MessageType.ACK),
      naks: replies.filter((p) => p.options.messageType === MessageType.NAK).map((p) => p.options.message),
      inEtcd: await view.get(oa.yiaddr),
    });
  }
  return results;
}

describeWithPeers(['etcd'], 'two instances racing for one address', () => {
  it('ends with exactly one holder every time: one ACK, one NAK, and etcd names the ACKed client', async () => {
    const { a, b, view } = await pair('/claim-race/');
    const rounds = await race(a, b, view, 25);
    for (const [r, x] of rounds.entries()) {
      expect(x.acked, `round ${r} (${x.ip})`).toHaveLength(1);
      expect(x.naks, `round ${r}`).toEqual([`address ${x.ip} is taken by another instance`]);
      expect(x.inEtcd, `round ${r}`).toMatchObject({ mac: x.acked[0], state: 'bound' });
    }
    expect(new Set(rounds.map((x) => x.ip)).size).toBe(rounds.length); // each round a new address
    expect(a.server.stats().acks + b.server.stats().acks).toBe(rounds.length);
    expect(a.server.stats().naks + b.server.stats().naks).toBe(rounds.length);
  });

  it('(control) with a store whose claim writes blindly, both instances ACK the same address', async () => {
    const blind = (prefix: string): LeaseStore => {
      const { store, client } = etcdStore(prefix);
      return { ...store, claim: async (l) => (await client.put(prefix + l.ip).value(JSON.stringify(l)), { ok: true }) };
    };
    const a = await instance('10.9.0.1', blind('/claim-blind/'));
    const b = await instance('10.9.0.2', blind('/claim-blind/'));
    const rounds = await race(a, b, etcdStore('/claim-blind/').store, 2);
    expect(rounds.map((x) => x.acked.length)).toEqual([2, 2]);
  });
});

describeWithPeers(['etcd'], 'RELEASE through one instance', () => {
  it('frees only the caller’s own claim: a lease the other instance gave since stays', async () => {
    let t = Date.now();
    const clock = () => t;
    const { a, b, view } = await pair('/claim-release/', clock);
    const ip = (await a.discover(mac(1))).yiaddr;
    await a.request(mac(1), ip);
    t += 601_000; // mac(1)'s lease ran out without a renewal...
    const offer = await b.discover(mac(2)); // ...so B may give the address to mac(2)
    expect(offer.yiaddr).toBe(ip);
    expect((await b.request(mac(2), ip)).options.messageType).toBe(MessageType.ACK);
    // mac(1) comes back and releases "its" address at A, which still has the old record.
    expect(await a.silent(clientPacket(mac(1), { messageType: MessageType.RELEASE, serverId: a.serverIp }, { ciaddr: ip }))).toBe(0);
    expect(a.events.at(-1)).toMatchObject({ type: 'release', mac: mac(1), ip });
    expect(await view.get(ip)).toMatchObject({ mac: mac(2), state: 'bound' });
    // mac(2) releasing at B does free it.
    await b.silent(clientPacket(mac(2), { messageType: MessageType.RELEASE, serverId: b.serverIp }, { ciaddr: ip }));
    expect(await view.get(ip)).toBeUndefined();
  });
});
