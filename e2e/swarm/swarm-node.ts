/**
 * One swarm instance for the namespace scenario, until `dragonfly serve` has swarm mode:
 * startSwarmDhcp (leader election + etcd lease store + serve-while-leader) around the real
 * DHCP server in full mode, exactly as core/app would wire it. Prints JSON lines {t, level, msg, ...} on stdout.
 *
 *   node --import tsx e2e/swarm/swarm-node.ts '{"id":"n1","etcd":"http://10.79.0.2:2379","interface":"dfs-n1",
 *     "segment":"10.79.0.0/24","range":{"start":"10.79.0.100","end":"10.79.0.199"},"ttlSeconds":3}'
 */
import { createDhcpServer } from '../../core/dhcp/server.ts';
import type { Logger } from '../../core/shared/logger.ts';
import { startSwarmDhcp } from '../../core/swarm/swarm-service.ts';

interface NodeConfig {
  id: string;
  etcd: string;
  interface: string;
  segment: string;
  range: { start: string; end: string };
  ttlSeconds?: number;
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
const swarm = startSwarmDhcp({
  endpoints: [cfg.etcd],
  segment: cfg.segment,
  id: cfg.id,
  ttlSeconds: cfg.ttlSeconds ?? 3,
  logger: log,
  createServer: (leaseStore) =>
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
log.info('ready');

process.on('SIGTERM', () => {
  void swarm.close().finally(() => process.exit(0));
});
