import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPeers } from '../testing/peers.ts';
import type { Etcd3 } from 'etcd3';
import type { DhcpServer } from '../dhcp/server.ts';
import { connectSwarmEtcd } from './etcd-client.ts';
import { createLeaderElection, type LeaderElection, type LeadershipChange } from './leader.ts';
import { createSwarmDhcp, type SwarmDhcp } from './swarm-dhcp.ts';
import { createEtcdNode, type EtcdNode } from './testing/etcd-node.ts';
import { recordingLogger, waitFor, type LogLine } from './testing/recording-logger.ts';

/** A DHCP server that only records whether it is bound. */
function fakeServers(failFirst = 0) {
  const log: string[] = [];
  let made = 0;
  let running = 0;
  const create = (): DhcpServer => {
    const n = ++made;
    let up = false;
    return {
      mode: 'full',
      async start() {
        await new Promise((r) => setTimeout(r, 5));
        if (n <= failFirst) throw new Error('cannot bind port 67: address in use');
        up = true;
        running++;
        log.push(`start ${n}`);
      },
      async close() {
        if (!up) return;
        up = false;
        running--;
        log.push(`close ${n}`);
      },
      stats: () => ({ received: 0, decodeErrors: 0, dropped: 0, handlerErrors: 0, sendErrors: 0, offers: 0, acks: 0, naks: 0, poolExhausted: 0 }),
    };
  };
  return { create, log, running: () => running };
}

/** An election driven by hand. */
function manualElection() {
  const cbs = new Set<(c: LeadershipChange) => void>();
  const e = {
    id: 'me', key: 'k', isLeader: false, campaigns: 0, resigns: 0,
    campaign() { e.campaigns++; },
    async resign() { e.resigns++; if (e.isLeader) e.set(false, 'resigned'); },
    onLeadershipChange(cb: (c: LeadershipChange) => void) { cbs.add(cb); return () => cbs.delete(cb); },
    currentLeader: async () => undefined,
    set(leader: boolean, reason: string) { e.isLeader = leader; for (const cb of cbs) cb({ leader, reason }); },
  };
  return e;
}

const settle = () => new Promise((r) => setTimeout(r, 30));

describe('swarm DHCP: serve only while leader', () => {
  it('starts DHCP when elected and closes it when leadership is lost', async () => {
    const el = manualElection();
    const srv = fakeServers();
    const lines: LogLine[] = [];
    const swarm = createSwarmDhcp({ election: el, createServer: srv.create, logger: recordingLogger(lines) });
    swarm.start();
    expect(el.campaigns).toBe(1);
    el.set(true, 'elected');
    await settle();
    expect(swarm.state()).toMatchObject({ leader: true, serving: true });
    el.set(false, 'lease lost: no keepalive confirmed by etcd in time');
    await settle();
    expect(srv.running()).toBe(0);
    expect(swarm.state()).toMatchObject({ serving: false, detail: 'lease lost: no keepalive confirmed by etcd in time' });
    expect(lines.some((l) => l.level === 'warn' && /DHCP stopped on this instance: lease lost/.test(l.msg))).toBe(true);
    await swarm.close();
  });

  it('never leaves a server running after a quick elected/lost/elected/lost burst', async () => {
    const el = manualElection();
    const srv = fakeServers();
    const swarm = createSwarmDhcp({ election: el, createServer: srv.create });
    swarm.start();
    for (const leader of [true, false, true, false]) el.set(leader, leader ? 'elected' : 'lost');
    await settle();
    expect(srv.running()).toBe(0);
    el.set(true, 'elected');
    await settle();
    expect(srv.running()).toBe(1);
    await swarm.close();
    expect(srv.running()).toBe(0);
    expect(el.resigns).toBeGreaterThan(0);
  });

  it('resigns when the server cannot start, so another instance can serve, and campaigns again later', async () => {
    const el = manualElection();
    const srv = fakeServers(1);
    const swarm = createSwarmDhcp({ election: el, createServer: srv.create, retryAfterFailureMs: 20 });
    swarm.start();
    el.set(true, 'elected');
    await settle();
    expect(el.isLeader).toBe(false);
    expect(swarm.state().detail).toMatch(/start failed: cannot bind port 67/);
    await waitFor(() => el.campaigns === 2, 'a new campaign');
    el.set(true, 'elected');
    await settle();
    expect(swarm.state()).toMatchObject({ serving: true });
    await swarm.close();
  });
});

describeWithPeers(['etcd'], 'swarm DHCP on a real etcd: three instances', () => {
  let etcd: EtcdNode;
  const clients: Etcd3[] = [];
  beforeAll(async () => {
    etcd = await createEtcdNode();
    await etcd.start();
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await etcd?.destroy();
  });

  it('exactly one serves; when it shuts down another serves', async () => {
    const nodes: Array<{ swarm: SwarmDhcp; election: LeaderElection; srv: ReturnType<typeof fakeServers> }> = [];
    for (let i = 0; i < 3; i++) {
      const client = connectSwarmEtcd({ endpoints: [etcd.endpoint] });
      clients.push(client);
      const election = createLeaderElection({ client, segment: '10.9.0.0/24', id: `n${i}`, ttlSeconds: 2, retryMs: 100 });
      const srv = fakeServers();
      nodes.push({ swarm: createSwarmDhcp({ election, createServer: srv.create }), election, srv });
    }
    const serving = () => nodes.filter((n) => n.srv.running() === 1);
    for (const n of nodes) n.swarm.start();
    await waitFor(() => serving().length === 1, 'one server');
    const first = serving()[0]!;
    await first.swarm.close();
    await waitFor(() => serving().length === 1, 'another server');
    expect(serving()[0]).not.toBe(first);
    expect(first.srv.running()).toBe(0);
    await Promise.all(nodes.map((n) => n.swarm.close()));
    expect(serving()).toHaveLength(0);
  });
});
