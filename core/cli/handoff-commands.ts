import type { Command } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseBackend } from '../app/config.ts';
import { CredentialStore } from '../power/secrets/credential-store.ts';
import { FileKeyProvider } from '../power/secrets/key-provider.ts';
import { SecretBox } from '../power/secrets/secret-box.ts';
import { invalid, isDragonflyError } from '../shared/errors.ts';
import type { SecretStore } from '../power/secrets/secret-store.ts';
import type { Store } from '../store/store.ts';
import type { SwarmIdentity } from '../app/swarm-identity.ts';

/** The store backends, the swarm and the hand-off code load only when one of these commands
 *  runs: the etcd client alone cost most of a second at every start of any CLI command. */
async function heavy() {
  const [handoff, backend, identity, kv] = await Promise.all([import('../app/handoff.ts'), import('../store/backend.ts'), import('../app/swarm-identity.ts'), import('../app/swarm-kv.ts')]);
  return { ...handoff, openStore: backend.openStore, openSwarmIdentity: identity.openSwarmIdentity, isSwarmBackend: kv.isSwarmBackend, swarmBackendOf: kv.swarmBackendOf };
}

interface StoreFlags {
  dataDir: string;
  backend?: string;
  etcdEndpoints?: string;
  kubeconfig?: string;
  kubernetesNamespace?: string;
}

interface Opened {
  store: Store;
  credentials: SecretStore;
  templateSecrets: SecretStore;
  /** Where the secrets come from or go to, for the summary line. */
  secretsIn: string;
  close(): Promise<void>;
}

async function open(flags: StoreFlags): Promise<Opened> {
  const { openStore, isSwarmBackend } = await heavy();
  const backend = parseBackend(flags.backend ?? 'lowdb');
  const etcdEndpoints = flags.etcdEndpoints?.split(',');
  const store = await openStore({ backend, dataDir: flags.dataDir, etcdEndpoints, kubeconfig: flags.kubeconfig, kubernetesNamespace: flags.kubernetesNamespace });
  const keys = new FileKeyProvider(flags.dataDir);
  const swarm = isSwarmBackend(backend) ? await openMember(flags, backend, keys).catch(async (e: unknown) => Promise.reject(await store.close().then(() => e))) : undefined;
  if (swarm) {
    // a swarm member: the secrets live sealed in the backend; this member's copy of the data key opens them
    return { store, credentials: swarm.credentials, templateSecrets: swarm.templateSecrets, secretsIn: `the swarm in ${swarm.kv.description}`, close: async () => (await swarm.close(), await store.close()) };
  }
  const box = new SecretBox(await keys.getKey(), keys.description);
  const credentials = new CredentialStore(join(flags.dataDir, 'credentials.json'), box);
  const templateSecrets = new CredentialStore(join(flags.dataDir, 'template-secrets.json'), box);
  return { store, credentials, templateSecrets, secretsIn: flags.dataDir, close: () => store.close() };
}

/** The swarm this data directory is a member of; undefined when the backend holds none yet (e.g. right after `migrate`). */
async function openMember(flags: StoreFlags, backend: 'etcd' | 'kubernetes', keys: FileKeyProvider): Promise<SwarmIdentity | undefined> {
  const { swarmBackendOf, openSwarmIdentity } = await heavy();
  const shared = swarmBackendOf({ backend, etcdEndpoints: flags.etcdEndpoints?.split(','), kubeconfig: flags.kubeconfig, kubernetesNamespace: flags.kubernetesNamespace });
  return openSwarmIdentity({ dataDir: flags.dataDir, shared, local: keys, mustExist: true }).catch((e: unknown) => (isDragonflyError(e, 'DF_ERR_NOT_FOUND') ? undefined : Promise.reject(e)));
}

const backendOptions = (c: Command) =>
  c
    .option('--backend <name>', 'its backend (default lowdb)')
    .option('--etcd-endpoints <urls>', 'for --backend etcd')
    .option('--kubeconfig <file>', 'for --backend kubernetes (default: the usual kubeconfig search)')
    .option('--kubernetes-namespace <ns>', 'for --backend kubernetes (default: the context\'s namespace)');

/** What became of the secrets, in words: they are never written in clear. */
function secretsLine(src: Opened, sealed: boolean): string {
  const n = src.credentials.refs().length + src.templateSecrets.refs().length;
  if (sealed) return `${n} secrets from ${src.secretsIn}, sealed for the recipient key`;
  return `${n} secrets from ${src.secretsIn} left out: give --recipient-key (the receiving site's public key) to carry them sealed`;
}

/** Site hand-off: export, import and the embedded → etcd migration, run on a stopped instance's data. */
export function addHandoffCommands(program: Command, out: (s: string) => void): void {
  backendOptions(
    program
      .command('export')
      .description('write the whole state of a stopped instance, or of the swarm a data directory is a member of, to one file (secrets only sealed for --recipient-key)')
      .requiredOption('--data-dir <dir>', 'data directory of the instance (a swarm member\'s: its copy of the data key opens the swarm\'s secrets)'),
  )
    .option('-o, --output <file>', 'output file (default: stdout)')
    .option('--recipient-key <pem>', 'PEM public key of the receiving site: secrets are sealed for it; without it they are left out')
    .action(async (o: StoreFlags & { output?: string; recipientKey?: string }) => {
      const src = await open(o);
      const { exportState } = await heavy();
      try {
        const bundle = await exportState({ ...src, dataDir: o.dataDir, recipientPublicKey: o.recipientKey ? await readFile(o.recipientKey, 'utf8') : undefined });
        const text = JSON.stringify(bundle, null, 2);
        if (o.output) {
          await writeFile(o.output, text, { mode: 0o600 });
          out(`exported ${bundle.objects.length} objects to ${o.output}; ${secretsLine(src, bundle.secrets !== undefined)}`);
        } else out(text);
      } finally {
        await src.close();
      }
    });

  backendOptions(
    program
      .command('import <file>')
      .description('load an export into an instance (any backend; into a swarm through a member\'s data directory, its first instance started); all or nothing')
      .requiredOption('--data-dir <dir>', 'data directory of the receiving instance'),
  )
    .option('--private-key <pem>', 'PEM private key matching the --recipient-key used at export, to bring the secrets')
    .action(async (file: string, o: StoreFlags & { privateKey?: string }) => {
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(file, 'utf8'));
      } catch (e) {
        throw invalid(`${file} is not a readable export: ${(e as Error).message}`);
      }
      const dst = await open(o);
      const { importState } = await heavy();
      try {
        const r = await importState(raw, { ...dst, privateKey: o.privateKey ? await readFile(o.privateKey, 'utf8') : undefined });
        out(`imported ${r.created} objects into ${dst.store.backend} and ${r.secrets} secrets into ${dst.secretsIn}`);
      } finally {
        await dst.close();
      }
    });

  program
    .command('migrate')
    .description('move a stopped instance from the embedded store to etcd in one step')
    .requiredOption('--data-dir <dir>', 'data directory of the instance')
    .requiredOption('--etcd-endpoints <urls>', 'etcd client URLs, comma-separated')
    .action(async (o: { dataDir: string; etcdEndpoints: string }) => {
      const { openStore, exportState, importState } = await heavy();
      const from = await openStore({ backend: 'lowdb', dataDir: o.dataDir });
      let bundle;
      try {
        bundle = await exportState({ store: from, dataDir: o.dataDir });
      } finally {
        await from.close();
      }
      const to = await openStore({ backend: 'etcd', etcdEndpoints: o.etcdEndpoints.split(',') });
      try {
        const r = await importState(bundle, { store: to });
        out(`migrated ${r.created} objects to etcd at ${o.etcdEndpoints}; start with --backend etcd --etcd-endpoints ${o.etcdEndpoints} (credentials stay in ${o.dataDir})`);
      } finally {
        await to.close();
      }
    });
}
