import type { Command } from 'commander';
import { defaultDataDir } from '../app/paths.ts';
import { FileKeyProvider } from '../power/secrets/key-provider.ts';
import { JOIN_DEFAULT_SECONDS, makeJoinToken, openSwarmKey } from '../power/secrets/swarm-key.ts';
import { invalid } from '../shared/errors.ts';
import type { SharedKv } from '../shared/shared-kv.ts';
import { openEtcdKv } from '../swarm/etcd-kv.ts';

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
    .description('make a join token: `dragonfly serve --backend etcd --join TOKEN` makes another instance a member')
    .option('--expires-seconds <n>', `how long it is good for (default ${JOIN_DEFAULT_SECONDS}; at most 86400)`)
    .action(async (opts: MemberFlags & { expiresSeconds?: string }) => {
      const seconds = opts.expiresSeconds === undefined ? JOIN_DEFAULT_SECONDS : Number(opts.expiresSeconds);
      if (!Number.isInteger(seconds)) throw invalid(`--expires-seconds "${opts.expiresSeconds}" must be a whole number of seconds`);
      await withMember(opts, io.env, async (kv, key) => {
        const t = await makeJoinToken(kv, key, seconds);
        io.out(t.token);
        io.out(`valid until ${t.expiresAt}: dragonfly serve --backend etcd --join ${t.token}`);
      });
    });
}

async function withMember(opts: MemberFlags, env: NodeJS.ProcessEnv, fn: (kv: SharedKv, key: Buffer) => Promise<void>): Promise<void> {
  const dataDir = opts.dataDir ?? env.DRAGONFLY_DATA_DIR ?? defaultDataDir();
  const endpoints = (opts.etcdEndpoints ?? env.DRAGONFLY_ETCD_ENDPOINTS ?? 'http://127.0.0.1:2379').split(',');
  const kv = await openEtcdKv({ endpoints });
  try {
    const { key } = await openSwarmKey({ kv, dataDir, local: new FileKeyProvider(dataDir), mustExist: true });
    await fn(kv, key);
  } finally {
    await kv.close();
  }
}
