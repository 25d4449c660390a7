import type { Command } from 'commander';
import { defaultDataDir } from '../app/paths.ts';
import type { SwarmIdentity } from '../app/swarm-identity.ts';
import { FileKeyProvider } from '../power/secrets/key-provider.ts';
import { JOIN_DEFAULT_SECONDS } from '../power/secrets/swarm-key.ts';
import { invalid } from '../shared/errors.ts';

interface MemberFlags {
  dataDir?: string;
  etcdEndpoints?: string;
}

/** `dragonfly swarm ...`: run on a member's host; it reads that member's data key from its data directory. */
export function addSwarmCommands(program: Command, io: { out: (s: string) => void; env: NodeJS.ProcessEnv }): void {
  const swarm = program.command('swarm').description('several instances on one etcd (backend etcd)');
  const member = (c: Command) =>
    c
      .option('--data-dir <dir>', `a member's data directory (env DRAGONFLY_DATA_DIR; default ${defaultDataDir()})`)
      .option('--etcd-endpoints <urls>', 'comma-separated etcd URLs (env DRAGONFLY_ETCD_ENDPOINTS; default http://127.0.0.1:2379)');
  member(swarm.command('join-token'))
    .description('make a join token: `dragonfly serve --backend etcd --join TOKEN` makes one more instance a member (once; operators can also POST /api/v1/swarm/join-tokens)')
    .option('--expires-seconds <n>', `how long it is good for (default ${JOIN_DEFAULT_SECONDS}; at most 86400)`)
    .action(async (opts: MemberFlags & { expiresSeconds?: string }) => {
      const seconds = opts.expiresSeconds === undefined ? JOIN_DEFAULT_SECONDS : Number(opts.expiresSeconds);
      if (!Number.isInteger(seconds)) throw invalid(`--expires-seconds "${opts.expiresSeconds}" must be a whole number of seconds`);
      await withMember(opts, io.env, async (s) => {
        const t = await s.makeJoinToken(seconds);
        io.out(t.token);
        io.out(`valid until ${t.expiresAt}: dragonfly serve --backend etcd --join ${t.token}`);
      });
    });
  member(swarm.command('rotate-key'))
    .description('a new swarm data key: every secret in etcd is re-encrypted under it; running members follow at once')
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

async function withMember(opts: MemberFlags, env: NodeJS.ProcessEnv, fn: (s: SwarmIdentity) => Promise<void>): Promise<void> {
  const dataDir = opts.dataDir ?? env.DRAGONFLY_DATA_DIR ?? defaultDataDir();
  const etcdEndpoints = (opts.etcdEndpoints ?? env.DRAGONFLY_ETCD_ENDPOINTS ?? 'http://127.0.0.1:2379').split(',');
  // Loaded here, not at the top: the etcd client would otherwise load at every CLI start.
  const { openSwarmIdentity } = await import('../app/swarm-identity.ts');
  const s = await openSwarmIdentity({ dataDir, shared: { backend: 'etcd', etcdEndpoints }, local: new FileKeyProvider(dataDir), mustExist: true });
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}
