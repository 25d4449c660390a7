import { defaultDataDir } from './paths.ts';
import type { EnrolmentOptions } from '../boot/enrolment.ts';
import { invalid } from '../shared/errors.ts';

export type BackendName = 'memory' | 'lowdb' | 'etcd' | 'kubernetes';
import { dhcpModes, type DhcpMode } from '../contract/settings.ts';
import { isIpv4 } from '../shared/ipv4.ts';

export type { DhcpMode };

/** Everything `dragonfly serve` and the desktop app can be told. */
export interface ControlPlaneConfig {
  /** Data directory (store, credentials, image cache, leases). Default: the OS app-data dir. */
  dataDir: string;
  /** HTTP API/UI/boot port. Default 8080; 0 picks a free port. */
  httpPort: number;
  /**
   * Address the operator API and UI bind. Default 127.0.0.1: only this host. Another address
   * exposes the API to that network (README, docs/SECURITY.md); 0.0.0.0 exposes it, and the boot
   * routes, on every interface. The boot routes get their own listener on the provisioning
   * interface's address, same port, unless this is a wildcard or that same address.
   */
  listen: string;
  /** Storage backend. Default lowdb. */
  backend: BackendName;
  /** etcd endpoints for backend=etcd, comma-separated URLs. Default http://127.0.0.1:2379. */
  etcdEndpoints: string[];
  /** Provisioning-network interface; DHCP/TFTP bind only to it. Default: none (DHCP/TFTP off). */
  interface?: string;
  /** full: addresses + boot; proxy: boot info only beside another DHCP server; off. Default proxy. */
  dhcpMode: DhcpMode;
  /** Start full DHCP even if another DHCP server answers on the interface. Default false (proxy is used then). */
  forceFullDhcp?: boolean;
  /**
   * Enrolment binding and discovery caps (issue 14): requireDhcpEvidence (default true, applies
   * while DHCP runs), evidenceWindowMs (default 5 min), discoveriesPerMinute (default 60) and
   * discoveriesTotal since start (default 1000); 0 for a cap creates no new machines.
   */
  enrolment?: Omit<EnrolmentOptions, 'dhcpRuns' | 'now'>;
  /** With backend etcd: elect one DHCP leader per segment and keep leases in etcd. Default true with etcd; false turns it off. */
  swarm?: boolean;
  /** Swarm leader lease TTL, seconds: the failover bound is about TTL + 1 s. Default 3. */
  swarmTtlSeconds?: number;
  /** With backend etcd: a join token (`dragonfly swarm join-token`) for an instance joining an existing swarm; needed once. Default none. */
  join?: string;
  /** Address pool for full mode, "START-END". */
  dhcpRange?: { start: string; end: string };
  router?: string;
  dns: string[];
  /** Lease time, seconds. Default 3600. */
  leaseSeconds: number;
  /** TFTP port. Default 69; 0 disables TFTP. */
  tftpPort: number;
  /** Address machines use to reach this server (boot URLs). Default: the interface's IPv4 address, else the listen address. */
  advertiseAddress?: string;
  /** iPXE binaries served over TFTP and HTTP. Default assets/ipxe in the install (packaged apps: resources/ipxe). */
  ipxeDir?: string;
  /** Agent kernel and initramfs. Default dist/agent-image in the install (packaged apps: resources/agent-image). */
  agentImageDir?: string;
  /** Serve the built UI from this directory. Default dist/renderer in the install. */
  uiDir?: string;
  /** Log level: debug, info, warn, error. Default info. */
  logLevel: string;
  /**
   * The privileged helper that binds UDP 67/69/4011 when this process may not (EACCES):
   * `unix:/run/dragonfly-privhelper.sock` (a helper root started) or `exec:COMMAND` (one the app
   * starts, e.g. through pkexec). Default none: those binds need privileges (docs/PRIVILEGES.md).
   */
  privHelper?: string;
}

export const defaults = (): ControlPlaneConfig => ({
  dataDir: defaultDataDir(),
  httpPort: 8080,
  listen: '127.0.0.1',
  backend: 'lowdb',
  etcdEndpoints: ['http://127.0.0.1:2379'],
  dhcpMode: 'proxy',
  dns: [],
  leaseSeconds: 3600,
  tftpPort: 69,
  logLevel: 'info',
});

const BACKENDS: BackendName[] = ['memory', 'lowdb', 'etcd', 'kubernetes'];

export function parseBackend(s: string): BackendName {
  if (!BACKENDS.includes(s as BackendName)) throw invalid(`backend "${s}" is not one of ${BACKENDS.join(', ')}`);
  return s as BackendName;
}

export function parseDhcpMode(s: string): DhcpMode {
  if (!(dhcpModes as readonly string[]).includes(s)) throw invalid(`dhcp mode "${s}" is not one of ${dhcpModes.join(', ')}`);
  return s as DhcpMode;
}

export function parsePort(s: string | number, what: string): number {
  const n = typeof s === 'number' ? s : Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw invalid(`${what} "${s}" is not a port number (0-65535)`);
  return n;
}

export { isIpv4 };

export function parseRange(s: string): { start: string; end: string } {
  const [start, end] = s.split('-').map((x) => x.trim());
  if (!start || !end || !isIpv4(start) || !isIpv4(end)) throw invalid(`DHCP range "${s}" must be START-END, e.g. 10.0.0.100-10.0.0.200`);
  return { start, end };
}

/** Environment variables (DRAGONFLY_*) over defaults; flags go over these. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<ControlPlaneConfig> {
  const c: Partial<ControlPlaneConfig> = {};
  if (env.DRAGONFLY_DATA_DIR) c.dataDir = env.DRAGONFLY_DATA_DIR;
  if (env.DRAGONFLY_HTTP_PORT) c.httpPort = parsePort(env.DRAGONFLY_HTTP_PORT, 'DRAGONFLY_HTTP_PORT');
  if (env.DRAGONFLY_LISTEN) c.listen = env.DRAGONFLY_LISTEN;
  if (env.DRAGONFLY_BACKEND) c.backend = parseBackend(env.DRAGONFLY_BACKEND);
  if (env.DRAGONFLY_ETCD_ENDPOINTS) c.etcdEndpoints = env.DRAGONFLY_ETCD_ENDPOINTS.split(',');
  if (env.DRAGONFLY_INTERFACE) c.interface = env.DRAGONFLY_INTERFACE;
  if (env.DRAGONFLY_DHCP_MODE) c.dhcpMode = parseDhcpMode(env.DRAGONFLY_DHCP_MODE);
  if (env.DRAGONFLY_DHCP_RANGE) c.dhcpRange = parseRange(env.DRAGONFLY_DHCP_RANGE);
  if (env.DRAGONFLY_TFTP_PORT) c.tftpPort = parsePort(env.DRAGONFLY_TFTP_PORT, 'DRAGONFLY_TFTP_PORT');
  if (env.DRAGONFLY_ADVERTISE_ADDRESS) c.advertiseAddress = env.DRAGONFLY_ADVERTISE_ADDRESS;
  if (env.DRAGONFLY_LOG_LEVEL) c.logLevel = env.DRAGONFLY_LOG_LEVEL;
  if (env.DRAGONFLY_PRIV_HELPER) c.privHelper = env.DRAGONFLY_PRIV_HELPER;
  return c;
}
