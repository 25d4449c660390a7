import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPeers, peersPresent } from '../testing/peers.ts';
import type { Etcd3 } from 'etcd3';
import { connectSwarmEtcd } from './etcd-client.ts';
import { createLeaderElection, leaderKey, type LeaderElection } from './leader.ts';
import { createEtcdNode, type EtcdNode } from './testing/etcd-node.ts';
import { recordingLogger, waitFor, type LogLine } from './testing/recording-logger.ts';

let etcd: EtcdNode;
const clients: Etcd3[] = [];
const elections: LeaderElection[] = [];

beforeAll(async () => {
  if (!peersPresent(['etcd'])) return; // the suites below fail or skip, naming it
  etcd = await createEtcdNode();
  await etcd.start();
});

afterAll(async () => {
  await Promise.all(elections.map((e) => e.resign().catch(() => {})));
  for (const c of clients) c.close();
  await etcd?.destroy();
});

/** Leadership intervals per instance, in one shared timeline: [id, from, to?]. */
type Interval = { id: string; from: number; to?: number };

function instances(segment: string, n: number, lines: LogLine[] = []) {
  const timeline: Interval[] = [];
  const list = Array.from({ length: n }, (_, i) => {
    const client = connectSwarmEtcd({ endpoints: [etcd.endpoint], requestTimeoutMs: 500 });
    clients.push(client);
    const e = createLeaderElection({ client, segment, id: `i${i}`, ttlSeconds: 2, retryMs: 100, logger: recordingLogger(lines) });
    elections.push(e);
    e.onLeadershipChange((c) => {
      if (c.leader) timeline.push({ id: e.id, from: performance.now() });
      else timeline.findLast((t) => t.id === e.id && t.to === undefined)!.to = performance.now();
    });
    return { e, client };
  });
  const leaders = () => list.filter((x) => x.e.isLeader).map((x) => x.e);
  return { list, leaders, timeline };
}

function expectNoOverlap(timeline: Interval[]): void {
  const sorted = [...timeline].sort((a, b) => a.from - b.from);
  for (let i = 1; i < sorted.length; i++) expect(sorted[i - 1]!.to, `${sorted[i - 1]!.id} still leader when ${sorted[i]!.id} was elected`).toBeLessThanOrEqual(sorted[i]!.from);
}

describeWithPeers(['etcd'], 'leader election per segment on etcd', () => {
  it('elects exactly one of three instances, and the key names it', async () => {
    const { list, leaders } = instances('10.1.0.0/24', 3);
    for (const x of list) x.e.campaign();
    await waitFor(() => leaders().length === 1, 'a leader');
    await new Promise((r) => setTimeout(r, 800)); // several follower polls and one renewal later
    expect(leaders()).toHaveLength(1);
    expect(await list[0]!.e.currentLeader()).toBe(leaders()[0]!.id);
    expect(list[0]!.e.key).toBe(leaderKey('/dragonfly/v1/leaders/dhcp/', '10.1.0.0/24'));
  });

  it('hands over when the leader resigns, without two leaders at any instant', async () => {
    const { list, leaders, timeline } = instances('10.2.0.0/24', 3);
    for (const x of list) x.e.campaign();
    await waitFor(() => leaders().length === 1, 'a leader');
    const first = leaders()[0]!;
    await first.resign();
    expect(first.isLeader).toBe(false);
    await waitFor(() => leaders().length === 1, 'a new leader');
    expect(leaders()[0]!.id).not.toBe(first.id);
    expectNoOverlap(timeline);
  });

  it('a crashed leader (its etcd connection gone, lease not revoked) is replaced after its lease expires', async () => {
    const { list, leaders, timeline } = instances('10.3.0.0/24', 3);
    for (const x of list) x.e.campaign();
    await waitFor(() => leaders().length === 1, 'a leader');
    const dead = list.find((x) => x.e.isLeader)!;
    dead.client.close(); // no revoke reaches etcd: only the TTL ends the lease
    await waitFor(() => leaders().some((l) => l !== dead.e), 'a survivor to take over');
    expect(dead.e.isLeader).toBe(false);
    expectNoOverlap(timeline);
  });

  it('keeps separate segments independent', async () => {
    const a = instances('10.4.0.0/24', 2);
    const b = instances('10.5.0.0/24', 2);
    for (const x of [...a.list, ...b.list]) x.e.campaign();
    await waitFor(() => a.leaders().length === 1 && b.leaders().length === 1, 'one leader per segment');
  });

  it('steps down with a log line when etcd becomes unreachable, and is elected again when it returns', async () => {
    const lines: LogLine[] = [];
    const { list, leaders, timeline } = instances('10.6.0.0/24', 2, lines);
    for (const x of list) x.e.campaign();
    await waitFor(() => leaders().length === 1, 'a leader');
    etcd.freeze();
    try {
      await waitFor(() => leaders().length === 0, 'the leader to step down while etcd is frozen');
    } finally {
      etcd.thaw();
    }
    const lost = lines.find((l) => l.level === 'warn' && /no longer DHCP leader: lease lost/.test(l.msg));
    expect(lost?.msg).toMatch(/DHCP stops on this instance/);
    await waitFor(() => leaders().length === 1, 'a leader again after etcd returns');
    expect(lines.some((l) => /etcd reachable again/.test(l.msg))).toBe(true);
    expectNoOverlap(timeline);
  });
});
