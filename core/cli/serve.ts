import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INITIAL_PASSWORD_FILE } from '../auth/auth-service.ts';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { createControlPlane, installDirs } from '../app/control-plane.ts';
import { agentImageOnDisk, readinessLines } from '../app/readiness.ts';
import { AgentImageJob } from './agent-image-job.ts';
import { parseBackend, parseDhcpMode, parsePort, parseRange, type ControlPlaneConfig } from '../app/config.ts';
import { invalid } from '../shared/errors.ts';

export interface ServeFlags {
  config?: string;
  dataDir?: string;
  httpPort?: string;
  listen?: string;
  backend?: string;
  etcdEndpoints?: string;
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
  /** on | off: tokens only for the address of the MAC's DHCP exchange while DHCP runs (issue 14). */
  requireDhcpEvidence?: string;
  discoveriesPerMinute?: string;
  discoveriesTotal?: string;
  /** Build the agent image in the background when it is missing or stale (`npm start` in a checkout). */
  buildAgentImage?: boolean;
}

/** The builder run by --build-agent-image; an installed package may lack it (then the image is reported missing). */
const AGENT_IMAGE_BUILDER = fileURLToPath(new URL('../../build/agent/build-image.mjs', import.meta.url));

/** Config file keys are the flag names in camelCase; precedence: flags > environment > file > defaults. */
export async function resolveServeConfig(flags: ServeFlags, env = process.env): Promise<Partial<ControlPlaneConfig>> {
  const file = flags.config ? await readConfigFile(flags.config) : {};
  const { buildAgentImage: _, ...valued } = flags;
  const merged: ServeFlags = { ...file, ...stringsFromEnv(env), ...definedOnly(valued) };
  const c: Partial<ControlPlaneConfig> = {};
  if (merged.dataDir) c.dataDir = merged.dataDir;
  if (merged.httpPort !== undefined) c.httpPort = parsePort(merged.httpPort, '--http-port');
  if (merged.listen) c.listen = merged.listen;
  if (merged.backend) c.backend = parseBackend(merged.backend);
  if (merged.etcdEndpoints) c.etcdEndpoints = String(merged.etcdEndpoints).split(',');
  if (merged.join) c.join = String(merged.join);
  if (merged.interface) c.interface = merged.interface;
  if (merged.dhcpMode) c.dhcpMode = parseDhcpMode(merged.dhcpMode);
  if (merged.dhcpRange) c.dhcpRange = parseRange(merged.dhcpRange);
  if (merged.router) c.router = merged.router;
  if (merged.dns) c.dns = String(merged.dns).split(',').map((s) => s.trim());
  if (merged.leaseSeconds !== undefined) {
    const n = Number(merged.leaseSeconds);
    if (!Number.isInteger(n) || n < 60) throw invalid(`--lease-seconds "${merged.leaseSeconds}" must be a whole number of seconds, at least 60`);
    c.leaseSeconds = n;
  }
  if (merged.tftpPort !== undefined) c.tftpPort = parsePort(merged.tftpPort, '--tftp-port');
  if (merged.advertiseAddress) c.advertiseAddress = merged.advertiseAddress;
  if (merged.logLevel) c.logLevel = merged.logLevel;
  if (merged.privHelper) c.privHelper = merged.privHelper;
  if (merged.agentImageDir) c.agentImageDir = merged.agentImageDir;
  const enrolment = enrolmentOf(merged);
  if (Object.keys(enrolment).length) c.enrolment = enrolment;
  return c;
}

function enrolmentOf(f: ServeFlags): NonNullable<ControlPlaneConfig['enrolment']> {
  const e: NonNullable<ControlPlaneConfig['enrolment']> = {};
  if (f.requireDhcpEvidence !== undefined) e.requireDhcpEvidence = parseOnOff(f.requireDhcpEvidence, '--require-dhcp-evidence');
  if (f.discoveriesPerMinute !== undefined) e.discoveriesPerMinute = parseCount(f.discoveriesPerMinute, '--discoveries-per-minute');
  if (f.discoveriesTotal !== undefined) e.discoveriesTotal = parseCount(f.discoveriesTotal, '--discoveries-total');
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

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function stringsFromEnv(env: NodeJS.ProcessEnv): ServeFlags {
  const map: Record<string, Exclude<keyof ServeFlags, 'buildAgentImage'>> = {
    DRAGONFLY_DATA_DIR: 'dataDir',
    DRAGONFLY_HTTP_PORT: 'httpPort',
    DRAGONFLY_LISTEN: 'listen',
    DRAGONFLY_BACKEND: 'backend',
    DRAGONFLY_ETCD_ENDPOINTS: 'etcdEndpoints',
    DRAGONFLY_JOIN: 'join',
    DRAGONFLY_INTERFACE: 'interface',
    DRAGONFLY_DHCP_MODE: 'dhcpMode',
    DRAGONFLY_DHCP_RANGE: 'dhcpRange',
    DRAGONFLY_TFTP_PORT: 'tftpPort',
    DRAGONFLY_ADVERTISE_ADDRESS: 'advertiseAddress',
    DRAGONFLY_LOG_LEVEL: 'logLevel',
    DRAGONFLY_PRIV_HELPER: 'privHelper',
    DRAGONFLY_AGENT_IMAGE_DIR: 'agentImageDir',
  };
  const out: ServeFlags = {};
  for (const [k, f] of Object.entries(map)) if (env[k]) out[f] = env[k];
  return out;
}

async function readConfigFile(path: string): Promise<ServeFlags> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw invalid(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  const v = parseYaml(text);
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalid(`config file ${path} must be a YAML/JSON mapping`);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, Array.isArray(x) ? x.join(',') : String(x)])) as ServeFlags;
}

export interface ServeOptions {
  /** The agent image builder's command line (tests pass a fast fake); default build/agent/build-image.mjs. */
  agentImageBuilder?: string[];
}

export async function serve(flags: ServeFlags, out: (line: string) => void = console.log, opts: ServeOptions = {}): Promise<() => Promise<void>> {
  const config = await resolveServeConfig(flags);
  const imageDir = installDirs(config).agentImage;
  // Set once the HTTP server is up: the build must not delay the UI by minutes.
  let job: AgentImageJob | undefined;
  const cp = await createControlPlane({ ...config, agentImage: () => job?.state() ?? agentImageOnDisk(imageDir) });
  out(`Dragonfly API and UI at ${cp.url}`);
  out(`data directory: ${cp.config.dataDir} (backend ${cp.store.backend})`);
  const initialFile = join(cp.config.dataDir, INITIAL_PASSWORD_FILE);
  if (cp.initialPassword) {
    out(`admin password: ${cp.initialPassword}`);
    out(`  (shown once; also saved, readable only by you, in ${initialFile} until you change it:`);
    out('   dragonfly admin password, or Settings in the UI)');
  } else if (await cp.auth.initialPasswordOnDisk()) {
    out(`the first-start admin password is still in ${initialFile}; change it (dragonfly admin password, or Settings in the UI) to delete it`);
  }
  if (cp.swarm?.joinToken) {
    out(`swarm created; other instances join it with: dragonfly serve --backend etcd --join ${cp.swarm.joinToken.token}`);
    out(`  (valid until ${cp.swarm.joinToken.expiresAt}; make another with: dragonfly swarm join-token)`);
  }
  const st = await cp.status();
  for (const [name, h] of Object.entries(st.services)) if (h.error) out(`${name}: ${h.error}`);
  if (flags.buildAgentImage) job = startAgentImageJob(imageDir, opts.agentImageBuilder, out);
  for (const line of readinessLines(cp.readiness())) out(line);
  return async () => {
    job?.stop();
    await cp.close();
  };
}

function startAgentImageJob(dir: string, command: string[] | undefined, out: (line: string) => void): AgentImageJob | undefined {
  if (!command && !existsSync(AGENT_IMAGE_BUILDER)) {
    out('agent image: this install has no builder (build/agent/build-image.mjs); the image must come with the install');
    return undefined;
  }
  return new AgentImageJob({ dir, command: command ?? [process.execPath, AGENT_IMAGE_BUILDER], out });
}
