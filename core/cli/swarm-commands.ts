import type { Command } from 'commander';
import { parseConfigStrings, stringsFromEnv, type ConfigStrings } from '../app/config.ts';
import { defaultDataDir } from '../app/paths.ts';
import type { SwarmIdentity } from '../app/swarm-identity.ts';
import { isSwarmBackend, swarmBackendOf, type SwarmBackend } from '../app/swarm-kv.ts';
import { FileKeyProvider } from '../power/secrets/key-provider.ts';
import { JOIN_DEFAULT_SECONDS } from '../power/secrets/swarm-key.ts';
import { invalid } from '../shared/errors.ts';
import { swarmBackendOptions } from './backend-options.ts';

/** Where the member's data and its swarm's backend are: the same flags and environment variables as `serve`. */
const MEMBER_SETTINGS = ['dataDir', 'backend', 'etcdEndpoints', 'kubeconfig', 'kubernetesNamespace'] as const satisfies ReadonlyArray<keyof ConfigStrings>;
type MemberFlags = Pick<ConfigStrings, (typeof MEMBER_SETTINGS)[number]>;

/** `dragonfly swarm ...`: run on a member's host; it reads that member's data key from its data directory. */
export function addSwarmCommands(program: Command, io: { out: (s: string) => void; env: NodeJS.ProcessEnv }): void {
  const swarm = program.command('swarm').description('several instances on one backend (etcd or kubernetes)');
  const member = (c: Command) =>
    swarmBackendOptions(
      c
        .option('--data-dir <dir>', `a member's data directory (env DRAGONFLY_DATA_DIR; default ${defaultDataDir()})`)
        .option('--backend <name>', 'the swarm\'s backend: etcd or kubernetes (env DRAGONFLY_BACKEND; default etcd)'),
    );
  member(swarm.command('join-token'))
    .description('make a join token: `dragonfly serve --backend etcd|kubernetes --join TOKEN` makes one more instance a member (once; operators can also POST /api/v1/swarm/join-tokens)')
    .option('--expires-seconds <n>', `how long it is good for (default ${JOIN_DEFAULT_SECONDS}; at most 86400)`)
    .action(async (opts: MemberFlags & { expiresSeconds?: string }) => {
      const seconds = opts.expiresSeconds === undefined ? JOIN_DEFAULT_SECONDS : Number(opts.expiresSeconds);
      if (!Number.isInteger(seconds)) throw invalid(`--expires-seconds "${opts.expiresSeconds}" must be a whole number of seconds`);
      await withMember(opts, io.env, async (s, backend) => {
        const t = await s.makeJoinToken(seconds);
        io.out(t.token);
        io.out(`valid until ${t.expiresAt}: dragonfly serve --backend ${backend.backend} --join ${t.token}`);
      });
    });
  member(swarm.command('rotate-key'))
    .description('a new swarm data key: every secret in the backend is re-encrypted under it; running members follow at once')
    .option('--chain-seconds <n>', 'how long the new key stays published under the old one, for members that are down to catch up (default 3600); later they join again')
    .action(async (opts: MemberFlags & { chainSeconds?: string }) => {
      const chain = opts.chainSeconds === undefined ? 3600 : Number(opts.chainSeconds);
      if (!(Number.isInteger(chain) && chain > 0)) throw invalid(`--chain-seconds "${opts.chainSeconds}" must be a whole number of seconds, at least 1`);
      await withMember(opts, io.env, async (s) => {
        const before = s.keyring.keyId;
        const id = await s.rotateKey(chain);
        io.out(`swarm data key rotated: ${before} -> ${id}; credentials ${s.credentials.refs().length}, template secrets ${s.templateSecrets.refs().length}, identity re-encrypted`);
      });
    });
}

/** The member's data directory and its swarm's backend, parsed as `serve` parses them (flags over environment); etcd unless named. */
function memberOf(opts: MemberFlags, env: NodeJS.ProcessEnv): { dataDir: string; backend: SwarmBackend } {
  // commander sets only the options given, so each overrides its variable; other serve settings in the environment are not this command's
  const merged: ConfigStrings = { ...stringsFromEnv(env), ...opts };
  const c = parseConfigStrings(Object.fromEntries(MEMBER_SETTINGS.map((k) => [k, merged[k]])));
  const backend = c.backend ?? 'etcd';
  if (!isSwarmBackend(backend)) throw invalid(`backend "${backend}" holds no swarm: dragonfly swarm works on backend etcd or kubernetes`);
  return { dataDir: c.dataDir ?? defaultDataDir(), backend: swarmBackendOf({ ...c, backend }) };
}

async function withMember(opts: MemberFlags, env: NodeJS.ProcessEnv, fn: (s: SwarmIdentity, backend: SwarmBackend) => Promise<void>): Promise<void> {
  const { dataDir, backend } = memberOf(opts, env);
  // Loaded here, not at the top: the etcd client would otherwise load at every CLI start.
  const { openSwarmIdentity } = await import('../app/swarm-identity.ts');
  const s = await openSwarmIdentity({ dataDir, shared: backend, local: new FileKeyProvider(dataDir), mustExist: true });
  try {
    await fn(s, backend);
  } finally {
    await s.close();
  }
}
