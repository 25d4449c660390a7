/**
 * One swarm instance for the namespace scenario, until `dragonfly serve` has swarm mode:
 * leader election + etcd lease store + the real DHCP server (full mode), through the
 * core/swarm glue. Prints JSON lines {t, level, msg, ...} on stdout.
 *
 *   node --import tsx e2e/swarm/swarm-node.ts '{"id":"n1","etcd":"http://10.79.0.2:2379","interface":"dfs-n1",
 *     "segment":"10.79.0.0/24","range":{"start":"10.79.0.100","end":"10.79.0.199"},"ttlSeconds":3}'
 */
import { createDhcpServer } from '../../core/dhcp/server.ts';
import type { Logger } from '../../core/shared/logger.ts';
import { connectSwarmEtcd } from '../../core/swarm/etcd-client.ts';
import { createEtcdLeaseStore } from '../../core/swarm/etcd-lease-store.ts';
import { createLeaderElection } from '../../core/swarm/leader.ts';
import { createSwarmDhcp } from '../../core/swarm/swarm-dhcp.ts';

interface NodeConfig {
  id: string;
  etcd: string;
  interface: string;
  segment: string;
  range: { start: string; end: string };
  ttlSeconds?: number;
  retryMs?: number;
}

function jsonLogger(bindings: Record<string, unknown> = {}): Logger {
  const at = (level: string) => (obj: object | string, msg?: string) => {
    const fields = typeof obj === 'string' ? {} : obj;
    process.stdout.write(JSON.stringify({ t: Date.now(), level, msg: typeof obj === 'string' ? obj : msg, ...bindings, ...fields }, (_k, v) => (v instanceof Error ? v.message : v)) + '\n');
  };
  return { debug: () => {}, info: at('info'), warn: at('warn'), error: at('error'), child: (b) => jsonLogger({ ...bindings, ...b }) };
}

const cfg = JSON.parse(process.argv[2]!) as NodeConfig;
const log = jsonLogger({ node: cfg.id });
const client = connectSwarmEtcd({ endpoints: [cfg.etcd] });
const leaseStore = createEtcdLeaseStore({ client });
const election = createLeaderElection({ client, segment: cfg.segment, id: cfg.id, ttlSeconds: cfg.ttlSeconds ?? 3, retryMs: cfg.retryMs ?? 250, logger: log });
const swarm = createSwarmDhcp({
  election,
  logger: log,
  createServer: () =>
    createDhcpServer({
      interface: cfg.interface,
      mode: 'full',
      range: cfg.range,
      leaseSeconds: 600,
      leaseStore,
      logger: log,
      onEvent: (e) => (e.type === 'offer' || e.type === 'ack' ? log.info({ event: e.type, ip: e.ip, mac: e.mac }, 'dhcp event') : undefined),
    }),
  onStateChange: (s) => log.info({ state: s }, 'swarm state'),
});
swarm.start();
log.info('ready');

process.on('SIGTERM', () => {
  void swarm.close().finally(() => {
    client.close();
    process.exit(0);
  });
});
