import type { Command } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseBackend } from '../app/config.ts';
import { CredentialStore } from '../power/secrets/credential-store.ts';
import { FileKeyProvider } from '../power/secrets/key-provider.ts';
import { SecretBox } from '../power/secrets/secret-box.ts';
import { invalid } from '../shared/errors.ts';

/** The store backends and the hand-off code load only when one of these commands runs: the etcd
 *  client alone cost most of a second at every start of any CLI command. */
async function heavy() {
  const [handoff, backend] = await Promise.all([import('../app/handoff.ts'), import('../store/backend.ts')]);
  return { ...handoff, openStore: backend.openStore };
}

interface StoreFlags {
  dataDir: string;
  backend?: string;
  etcdEndpoints?: string;
}

async function open(flags: StoreFlags) {
  const { openStore } = await heavy();
  const store = await openStore({ backend: parseBackend(flags.backend ?? 'lowdb'), dataDir: flags.dataDir, etcdEndpoints: flags.etcdEndpoints?.split(',') });
  const keys = new FileKeyProvider(flags.dataDir);
  const credentials = new CredentialStore(join(flags.dataDir, 'credentials.json'), new SecretBox(await keys.getKey(), keys.description));
  return { store, credentials };
}

/** Site hand-off: export, import and the embedded → etcd migration, run on a stopped instance's data. */
export function addHandoffCommands(program: Command, out: (s: string) => void): void {
  program
    .command('export')
    .description('write the whole state of a stopped instance to one file (secrets only sealed for --recipient-key)')
    .requiredOption('--data-dir <dir>', 'data directory of the instance')
    .option('--backend <name>', 'its backend (default lowdb)')
    .option('--etcd-endpoints <urls>', 'for --backend etcd')
    .option('-o, --output <file>', 'output file (default: stdout)')
    .option('--recipient-key <pem>', 'PEM public key of the receiving site: secrets are sealed for it; without it they are left out')
    .action(async (o: StoreFlags & { output?: string; recipientKey?: string }) => {
      const { store, credentials } = await open(o);
      const { exportState } = await heavy();
      try {
        const bundle = await exportState({ store, credentials, dataDir: o.dataDir, recipientPublicKey: o.recipientKey ? await readFile(o.recipientKey, 'utf8') : undefined });
        const text = JSON.stringify(bundle, null, 2);
        if (o.output) {
          await writeFile(o.output, text, { mode: 0o600 });
          out(`exported ${bundle.objects.length} objects${bundle.secrets ? ' and sealed secrets' : ' (secrets left out)'} to ${o.output}`);
        } else out(text);
      } finally {
        await store.close();
      }
    });

  program
    .command('import <file>')
    .description('load an export into an instance (any backend); all or nothing')
    .requiredOption('--data-dir <dir>', 'data directory of the receiving instance')
    .option('--backend <name>', 'its backend (default lowdb)')
    .option('--etcd-endpoints <urls>', 'for --backend etcd')
    .option('--private-key <pem>', 'PEM private key matching the --recipient-key used at export, to bring the secrets')
    .action(async (file: string, o: StoreFlags & { privateKey?: string }) => {
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(file, 'utf8'));
      } catch (e) {
        throw invalid(`${file} is not a readable export: ${(e as Error).message}`);
      }
      const { store, credentials } = await open(o);
      const { importState } = await heavy();
      try {
        const r = await importState(raw, { store, credentials, privateKey: o.privateKey ? await readFile(o.privateKey, 'utf8') : undefined });
        out(`imported ${r.created} objects and ${r.secrets} secrets into ${store.backend}`);
      } finally {
        await store.close();
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
