import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INITIAL_PASSWORD_FILE } from '../auth/auth-service.ts';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { createControlPlane, installDirs } from '../app/control-plane.ts';
import { agentImageOnDisk, readinessLines } from '../app/readiness.ts';
import { AgentImageJob } from './agent-image-job.ts';
import { parseConfigStrings, stringsFromEnv, type ConfigStrings, type ControlPlaneConfig } from '../app/config.ts';
import { invalid } from '../shared/errors.ts';

export interface ServeFlags extends ConfigStrings {
  config?: string;
  /** Build the agent image in the background when it is missing or stale (`npm start` in a checkout). */
  buildAgentImage?: boolean;
}

/** The builder run by --build-agent-image; an installed package may lack it (then the image is reported missing). */
const AGENT_IMAGE_BUILDER = fileURLToPath(new URL('../../build/agent/build-image.mjs', import.meta.url));

/** Config file keys are the flag names in camelCase; precedence: flags > environment > file > defaults. */
export async function resolveServeConfig(flags: ServeFlags, env = process.env): Promise<Partial<ControlPlaneConfig>> {
  const file = flags.config ? await readConfigFile(flags.config) : {};
  const { buildAgentImage: _, ...valued } = flags;
  const merged: ConfigStrings = { ...file, ...stringsFromEnv(env), ...definedOnly(valued) };
  return parseConfigStrings(merged);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
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
    out(`swarm created; other instances join it with: dragonfly serve --backend ${cp.config.backend} --join ${cp.swarm.joinToken.token}`);
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
