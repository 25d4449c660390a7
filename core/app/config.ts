import { defaultDataDir } from './paths.ts';
import type { EnrolmentOptions } from '../boot/enrolment.ts';
import { invalid } from '../shared/errors.ts';
import { imagePeerModes, type ImagePeerMode } from '../images/peers.ts';

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
  /** backend=kubernetes: kubeconfig file. Default: KUBECONFIG, ~/.kube/config, then the in-cluster service account. */
  kubeconfig?: string;
  /** backend=kubernetes: namespace of the custom resources and the swarm's Secrets. Default: the kubeconfig context's, else "default". */
  kubernetesNamespace?: string;
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
  enrolment?: Omit<EnrolmentOptions, 'dhcpRuns' | 'now' | 'kv'>;
  /** With backend etcd: elect one DHCP leader per segment and keep leases in etcd. Default true with etcd; false turns it off. */
  swarm?: boolean;
  /** Swarm leader lease TTL, seconds: the failover bound is about TTL + 1 s. Default 3. */
  swarmTtlSeconds?: number;
  /** With backend etcd: a join token (`dragonfly swarm join-token`) for an instance joining an existing swarm; needed once. Default none. */
  join?: string;
  /**
   * Swarm mode (etcd, kubernetes): a machine needs an image only another instance holds. copy: this
   * instance copies it first (digest checked; the machine is told to retry meanwhile); redirect:
   * the machine is sent to the holder's URL and nothing is copied. Default copy.
   */
  imagePeers?: ImagePeerMode;
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
  /**
   * How UEFI x64 PXE clients boot (docs/SECURE-BOOT.md, "Which machines get which chain").
   * auto: per machine, by MAC: one whose agent reported secureBoot false gets iPXE (snponly.efi);
   * every other one (Secure Boot on, never registered, fact unknown) gets the signed chain
   * shim -> GRUB from assets/secureboot, which boots with Secure Boot on or off. on: shim for all;
   * off: iPXE for all (a machine with Secure Boot on refuses it). Default (unset) auto.
   */
  secureBoot?: SecureBootMode;
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

export function parseImagePeers(s: string): ImagePeerMode {
  if (!(imagePeerModes as readonly string[]).includes(s)) throw invalid(`--image-peers "${s}" is not one of ${imagePeerModes.join(', ')}`);
  return s as ImagePeerMode;
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

/**
 * Every setting as text, named as the `dragonfly serve` flag is (camelCase; also the key in a
 * config file). The one parser below turns them into config, whichever source they came from.
 */
export interface ConfigStrings {
  dataDir?: string;
  httpPort?: string;
  listen?: string;
  backend?: string;
  etcdEndpoints?: string;
  kubeconfig?: string;
  kubernetesNamespace?: string;
  /** copy | redirect: what an instance does for a machine needing an image another instance holds. */
  imagePeers?: string;
  /** Join token of an existing swarm (backend etcd), from `dragonfly swarm join-token`. */
  join?: string;
  interface?: string;
  dhcpMode?: string;
  dhcpRange?: string;
  router?: string;
  dns?: string;
  leaseSeconds?: string;
  tftpPort?: string;
  advertiseAddress?: string;
  logLevel?: string;
  privHelper?: string;
  agentImageDir?: string;
  /** auto | on | off: which UEFI x64 PXE clients get the signed shim -> GRUB chain (docs/SECURE-BOOT.md). */
  secureBoot?: string;
  /** on | off: tokens only for the address of the MAC's DHCP exchange while DHCP runs (issue 14). */
  requireDhcpEvidence?: string;
  discoveriesPerMinute?: string;
  discoveriesTotal?: string;
}

/** The environment variable of each setting (README, "Configuration"). */
const ENV_VARS: Record<string, keyof ConfigStrings> = {
  DRAGONFLY_DATA_DIR: 'dataDir',
  DRAGONFLY_HTTP_PORT: 'httpPort',
  DRAGONFLY_LISTEN: 'listen',
  DRAGONFLY_BACKEND: 'backend',
  DRAGONFLY_ETCD_ENDPOINTS: 'etcdEndpoints',
  DRAGONFLY_KUBECONFIG: 'kubeconfig',
  DRAGONFLY_KUBERNETES_NAMESPACE: 'kubernetesNamespace',
  DRAGONFLY_JOIN: 'join',
  DRAGONFLY_IMAGE_PEERS: 'imagePeers',
  DRAGONFLY_INTERFACE: 'interface',
  DRAGONFLY_DHCP_MODE: 'dhcpMode',
  DRAGONFLY_DHCP_RANGE: 'dhcpRange',
  DRAGONFLY_TFTP_PORT: 'tftpPort',
  DRAGONFLY_ADVERTISE_ADDRESS: 'advertiseAddress',
  DRAGONFLY_LOG_LEVEL: 'logLevel',
  DRAGONFLY_PRIV_HELPER: 'privHelper',
  DRAGONFLY_AGENT_IMAGE_DIR: 'agentImageDir',
  DRAGONFLY_SECURE_BOOT: 'secureBoot',
};

export function stringsFromEnv(env: NodeJS.ProcessEnv): ConfigStrings {
  const out: ConfigStrings = {};
  for (const [k, f] of Object.entries(ENV_VARS)) if (env[k]) out[f] = env[k];
  return out;
}

/** The one parser of settings given as text (flags, environment, config file); errors name the flag. */
export function parseConfigStrings(s: ConfigStrings): Partial<ControlPlaneConfig> {
  const c: Partial<ControlPlaneConfig> = {};
  if (s.dataDir) c.dataDir = s.dataDir;
  if (s.httpPort !== undefined) c.httpPort = parsePort(s.httpPort, '--http-port');
  if (s.listen) c.listen = s.listen;
  if (s.backend) c.backend = parseBackend(s.backend);
  if (s.etcdEndpoints) c.etcdEndpoints = String(s.etcdEndpoints).split(',');
  if (s.join) c.join = String(s.join);
  if (s.kubeconfig) c.kubeconfig = s.kubeconfig;
  if (s.kubernetesNamespace) c.kubernetesNamespace = s.kubernetesNamespace;
  if (s.imagePeers) c.imagePeers = parseImagePeers(s.imagePeers);
  if (s.interface) c.interface = s.interface;
  if (s.dhcpMode) c.dhcpMode = parseDhcpMode(s.dhcpMode);
  if (s.dhcpRange) c.dhcpRange = parseRange(s.dhcpRange);
  if (s.router) c.router = s.router;
  if (s.dns) c.dns = String(s.dns).split(',').map((x) => x.trim());
  if (s.leaseSeconds !== undefined) {
    const n = Number(s.leaseSeconds);
    if (!Number.isInteger(n) || n < 60) throw invalid(`--lease-seconds "${s.leaseSeconds}" must be a whole number of seconds, at least 60`);
    c.leaseSeconds = n;
  }
  if (s.tftpPort !== undefined) c.tftpPort = parsePort(s.tftpPort, '--tftp-port');
  if (s.advertiseAddress) c.advertiseAddress = s.advertiseAddress;
  if (s.logLevel) c.logLevel = s.logLevel;
  if (s.privHelper) c.privHelper = s.privHelper;
  if (s.agentImageDir) c.agentImageDir = s.agentImageDir;
  if (s.secureBoot) c.secureBoot = parseSecureBoot(s.secureBoot);
  const enrolment = enrolmentOf(s);
  if (Object.keys(enrolment).length) c.enrolment = enrolment;
  return c;
}

function enrolmentOf(s: ConfigStrings): NonNullable<ControlPlaneConfig['enrolment']> {
  const e: NonNullable<ControlPlaneConfig['enrolment']> = {};
  if (s.requireDhcpEvidence !== undefined) e.requireDhcpEvidence = parseOnOff(s.requireDhcpEvidence, '--require-dhcp-evidence');
  if (s.discoveriesPerMinute !== undefined) e.discoveriesPerMinute = parseCount(s.discoveriesPerMinute, '--discoveries-per-minute');
  if (s.discoveriesTotal !== undefined) e.discoveriesTotal = parseCount(s.discoveriesTotal, '--discoveries-total');
  return e;
}

function parseOnOff(s: string, what: string): boolean {
  if (/^(on|true|yes)$/i.test(String(s))) return true;
  if (/^(off|false|no)$/i.test(String(s))) return false;
  throw invalid(`${what} "${s}" must be on or off`);
}

function parseCount(s: string, what: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw invalid(`${what} "${s}" must be a whole number, 0 or more`);
  return n;
}

/** Environment variables (DRAGONFLY_*) over defaults (the desktop app; `serve` adds flags and a file). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<ControlPlaneConfig> {
  return parseConfigStrings(stringsFromEnv(env));
}

export const SECURE_BOOT_MODES = ['auto', 'on', 'off'] as const;
export type SecureBootMode = (typeof SECURE_BOOT_MODES)[number];

export function parseSecureBoot(s: string): SecureBootMode {
  const mode = SECURE_BOOT_MODES.find((m) => m === s);
  if (!mode) throw invalid(`--secure-boot "${s}" is not one of ${SECURE_BOOT_MODES.join(', ')}`);
  return mode;
}
