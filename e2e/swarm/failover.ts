/**
 * Swarm failover in network namespaces: etcd and three Dragonfly instances on one bridge, a
 * DHCP client beside them. A client gets a lease; the leader is killed (SIGKILL, so its
 * etcd lease is not revoked); another instance takes over; the next client still gets a
 * lease, and no address is ever given to two clients. Repeats `trials` times, timing
 * "leader killed" -> "first OFFER from another instance".
 *
 *   node --import tsx e2e/swarm/failover.ts [TRIALS=3]     (root; busybox, etcd)
 *
 * Exit code 0 only when every trial passed. Everything is removed at the end, on failure too.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEtcdNode, type EtcdNode } from '../../core/swarm/testing/etcd-node.ts';
import { createSwarmLab, jsonLines, type SwarmLab } from './swarm-lab.ts';

export interface FailoverTrial {
  killed: string;
  newLeader: string;
  /** Leader SIGKILLed -> first OFFER from another instance, ms. */
  failoverMs: number;
  /** What udhcpc got after the failover. */
  lease: { mac: string; ip: string; serverId: string };
}

export interface FailoverOptions {
  trials: number;
  /** How the leader goes: SIGKILL (crash, lease expires) or SIGTERM (resigns, lease revoked). Default SIGKILL. */
  signal?: 'SIGKILL' | 'SIGTERM';
  /** Leader lease TTL, seconds. Default 3. */
  ttlSeconds?: number;
  log?: (s: string) => void;
}

const ETCD_IP = '10.79.0.2';
const nodeIp = (k: number) => `10.79.0.1${k}`;
const NODES = [1, 2, 3];

type Node = { child: ReturnType<SwarmLab['spawnIn']>; out: ReturnType<typeof jsonLines> };

export async function runFailover(o: FailoverOptions): Promise<{ trials: FailoverTrial[]; initial: FailoverTrial['lease'] }> {
  const log = o.log ?? (() => {});
  const lab = createSwarmLab([{ name: 'etcd', cidr: `${ETCD_IP}/24` }, ...NODES.map((k) => ({ name: `n${k}`, cidr: `${nodeIp(k)}/24` })), { name: 'c' }]);
  let etcd: EtcdNode | undefined;
  try {
    etcd = await createEtcdNode({ host: ETCD_IP, clientPort: 2379, peerPort: 2380, netns: lab.ns('etcd') });
    await etcd.start();
    const nodes = new Map<number, Node>();
    const startNode = async (k: number) => {
      const cfg = { id: `n${k}`, etcd: etcd!.endpoint, interface: `dfs-n${k}`, segment: '10.79.0.0/24', range: { start: '10.79.0.100', end: '10.79.0.250' }, ttlSeconds: o.ttlSeconds ?? 3 };
      const child = lab.spawnIn(`n${k}`, ['node', '--no-deprecation', '--import', 'tsx', 'e2e/swarm/swarm-node.ts', JSON.stringify(cfg)]);
      const out = jsonLines(child);
      nodes.set(k, { child, out });
      await out.waitFor((l) => l.msg === 'ready', `instance n${k} ready`);
    };
    for (const k of NODES) await startNode(k);
    const leaseOf = udhcpc(lab);
    const initial = await leaseOf('02:df:5f:00:00:00');
    log(`initial lease ${initial.ip} from ${initial.serverId}`);
    const given = new Map([[initial.ip, initial.mac]]);

    const discover = jsonLines(lab.spawnIn('c', ['node', '--no-deprecation', '--import', 'tsx', 'e2e/swarm/discover-loop.ts', 'dfs-c', '50']));
    await discover.waitFor((l) => l.ready, 'discover loop');
    const trials: FailoverTrial[] = [];
    for (let i = 1; i <= o.trials; i++) {
      const k = await servingNode(discover, nodes);
      const t0 = Date.now();
      nodes.get(k)!.child.kill(o.signal ?? 'SIGKILL');
      const offer = await discover.waitFor((l) => l.t > t0 && l.serverId && l.serverId !== nodeIp(k), `an OFFER from another instance after killing n${k}`);
      const mac = `02:df:5f:00:00:${i.toString(16).padStart(2, '0')}`;
      const lease = await leaseOf(mac);
      if (given.has(lease.ip)) throw new Error(`DUPLICATE: ${lease.ip} given to ${given.get(lease.ip)} and ${mac}`);
      given.set(lease.ip, mac);
      const trial = { killed: `n${k}`, newLeader: offer.serverId as string, failoverMs: offer.t - t0, lease };
      trials.push(trial);
      log(`trial ${i}: ${o.signal ?? 'SIGKILL'} n${k}, OFFER from ${trial.newLeader} after ${trial.failoverMs} ms; ${mac} leased ${lease.ip}`);
      await new Promise<void>((r) => (nodes.get(k)!.child.exitCode !== null || nodes.get(k)!.child.signalCode !== null ? r() : nodes.get(k)!.child.once('exit', () => r())));
      await startNode(k); // back to three instances for the next trial
    }
    await checkEtcdAgrees(lab, etcd.endpoint, given);
    return { trials, initial };
  } finally {
    await lab.close();
    await etcd?.destroy();
  }
}

/** The instance whose OFFERs the client hears right now. */
async function servingNode(discover: ReturnType<typeof jsonLines>, nodes: Map<number, Node>): Promise<number> {
  const since = Date.now();
  const offer = await discover.waitFor((l) => l.t > since && l.serverId, 'an OFFER from the current leader');
  const k = NODES.find((n) => nodeIp(n) === offer.serverId);
  if (k === undefined || !nodes.has(k)) throw new Error(`OFFER from unknown server ${offer.serverId}`);
  return k;
}

/** busybox udhcpc in the client namespace, with the client interface set to `mac` first. */
function udhcpc(lab: SwarmLab) {
  const out = join(lab.dir, 'udhcpc.out');
  const script = join(lab.dir, 'udhcpc.sh');
  writeFileSync(script, `#!/bin/sh\n[ "$1" = bound ] && echo "$ip $serverid" > ${out}\nexit 0\n`);
  chmodSync(script, 0o755);
  return async (mac: string) => {
    const text = await lab.run('c', `rm -f ${out}; ip link set dfs-c address ${mac} && timeout 30 busybox udhcpc -i dfs-c -n -q -f -t 20 -T 1 -s ${script} >/dev/null 2>&1; cat ${out} 2>/dev/null || true`);
    const [ip, serverId] = text.trim().split(' ');
    if (!ip || !serverId) throw new Error(`udhcpc got no lease for ${mac}`);
    return { mac, ip, serverId };
  };
}

/** etcd holds each lease a client got, for that client's MAC. */
async function checkEtcdAgrees(lab: SwarmLab, endpoint: string, given: Map<string, string>): Promise<void> {
  const raw = await lab.run('etcd', `ETCDCTL_API=3 etcdctl --endpoints ${endpoint} get --prefix --print-value-only /dragonfly/v1/dhcp/leases/`);
  const stored = new Map(raw.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { ip: string; mac: string }).map((l) => [l.ip, l.mac]));
  for (const [ip, mac] of given) if (stored.get(ip) !== mac) throw new Error(`etcd has ${ip} for ${stored.get(ip)}, client ${mac} was given it`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const trials = Number(process.argv[2] ?? 3);
  runFailover({ trials, log: (s) => console.log(s) }).then(
    (r) => {
      const ms = r.trials.map((t) => t.failoverMs);
      console.log(`PASS: ${r.trials.length} failovers, no duplicate address; failover ms: ${ms.join(', ')}`);
    },
    (e) => {
      console.error(`FAIL: ${(e as Error).stack ?? e}`);
      process.exitCode = 1;
    },
  );
}
