/**
 * Everything swarm DHCP needs, in one call for core/app: an etcd client that fails fast, the
 * shared lease store, the election for this segment, and the serve-only-while-leader glue.
 *
 *   const swarm = startSwarmDhcp({
 *     endpoints: config.etcdEndpoints,
 *     segment: segmentOf(addr.address, addr.netmask),      // "10.0.0.0/24"
 *     logger,
 *     createServer: (leaseStore) => createDhcpServer({ interface: iface, mode: 'full', range, leaseStore, ... }),
 *     onStateChange: (s) => (dhcpHealth = { ok: true, detail: `${s.serving ? 'serving' : 'standby'}: ${s.detail}` }),
 *   });
 *   ...
 *   await swarm.close();   // stops DHCP, resigns (a follower takes over within one poll)
 */
import type { DhcpServer } from '../dhcp/server.ts';
import { intToIp, ipToInt, maskToPrefix } from '../dhcp/ipv4.ts';
import type { LeaseStore } from '../dhcp/lease-store.ts';
import type { Logger } from '../shared/logger.ts';
import { connectSwarmEtcd } from './etcd-client.ts';
import { createEtcdLeaseStore } from './etcd-lease-store.ts';
import { createLeaderElection } from './leader.ts';
import { createSwarmDhcp, type SwarmDhcp, type SwarmDhcpState } from './swarm-dhcp.ts';

export interface SwarmServiceOptions {
  /** etcd client URLs. Required, at least one. */
  endpoints: string[];
  /** The segment served, e.g. "10.0.0.0/24" (see segmentOf); instances on the same segment elect one leader. */
  segment: string;
  /** This instance's name in the leader key. Default "<hostname>-<pid>-<random>". */
  id?: string;
  /** Leader lease TTL, seconds. Default 3 (failover after a crash within about TTL + 0.75 s). */
  ttlSeconds?: number;
  /** Builds an unstarted full-mode DHCP server using the shared lease store. */
  createServer: (leaseStore: LeaseStore) => DhcpServer;
  logger?: Logger;
  onStateChange?: (s: SwarmDhcpState) => void;
}

/** "10.0.0.37" + "255.255.255.0" -> "10.0.0.0/24". */
export function segmentOf(ip: string, netmask: string): string {
  const network = (ipToInt(ip) & ipToInt(netmask)) >>> 0;
  return `${intToIp(network)}/${maskToPrefix(netmask)}`;
}

export function startSwarmDhcp(o: SwarmServiceOptions): SwarmDhcp {
  const client = connectSwarmEtcd({ endpoints: o.endpoints });
  const leaseStore = createEtcdLeaseStore({ client });
  const election = createLeaderElection({ client, segment: o.segment, id: o.id, ttlSeconds: o.ttlSeconds, logger: o.logger });
  const swarm = createSwarmDhcp({ election, createServer: () => o.createServer(leaseStore), logger: o.logger, onStateChange: o.onStateChange });
  swarm.start();
  return {
    start: () => swarm.start(),
    state: () => swarm.state(),
    async close() {
      await swarm.close();
      client.close();
    },
  };
}
