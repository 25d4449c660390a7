import { Command, CommanderError } from 'commander';
import { readFile } from 'node:fs/promises';
import { defaultDataDir } from '../app/paths.ts';
import type { Hardware } from '../model/hardware.ts';
import type { StoredObject } from '../model/meta.ts';
import { DragonflyError, isDragonflyError } from '../shared/errors.ts';
import { ApiClient } from './client.ts';
import { formatTable } from './table.ts';
import type { ServeFlags } from './serve.ts';
import { addHandoffCommands } from './handoff-commands.ts';
import { addAdminCommands } from './admin-commands.ts';
import { addSwarmCommands } from './swarm-commands.ts';
import { swarmBackendOptions } from './backend-options.ts';
import { openLocalAuth } from './local-auth.ts';
import { addConsoleCommand } from './console-command.ts';
import { addReportCommands } from './report-commands.ts';
import { addImageCommands } from './image-commands.ts';

interface GlobalOpts {
  url?: string;
  token?: string;
  json?: boolean;
}

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
  stdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
}

const defaultIo: CliIo = {
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
  err: (s) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  env: process.env,
};

/** Which control plane and token: flags, then environment, then the local default. */
function target(cmd: Command, io: CliIo): { url: string; token?: string } {
  const g = cmd.optsWithGlobals<GlobalOpts>();
  return { url: g.url ?? io.env.DRAGONFLY_URL ?? 'http://127.0.0.1:8080', token: g.token ?? io.env.DRAGONFLY_TOKEN };
}

function client(cmd: Command, io: CliIo): ApiClient {
  return new ApiClient(target(cmd, io));
}

const isJson = (cmd: Command) => Boolean(cmd.optsWithGlobals<GlobalOpts>().json);

function hardwareRows(items: Hardware[]) {
  return items.map((h) => ({
    NAME: h.metadata.name,
    DISPLAY: h.spec.displayName ?? '',
    MAC: h.spec.macs[0],
    STATE: h.status?.state ?? 'Discovered',
    CPU: h.spec.facts ? `${h.spec.facts.cpu.threads}` : '',
    MEMORY: h.spec.facts ? `${Math.round(h.spec.facts.memoryBytes / 2 ** 30)} GiB` : '',
    WORKFLOW: h.status?.currentWorkflow ?? '',
  }));
}

export function buildCli(io: CliIo = defaultIo, onServe?: (stop: () => Promise<void>) => void): Command {
  const program = new Command('dragonfly')
    .description('Dragonfly: bare-metal provisioning control plane')
    .option('--url <url>', 'control plane URL (env DRAGONFLY_URL)')
    .option('--token <token>', 'API token (env DRAGONFLY_TOKEN)')
    .option('--json', 'print JSON instead of tables')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  const serveCommand = program
    .command('serve')
    .description('run the headless control plane')
    .option('--config <file>', 'YAML/JSON config file (keys are the flag names in camelCase)')
    .option('--data-dir <dir>', `data directory (env DRAGONFLY_DATA_DIR; default ${defaultDataDir()})`)
    .option('--http-port <port>', 'HTTP port for API, UI and boot files (env DRAGONFLY_HTTP_PORT; default 8080; 0 = any free port)')
    .option('--listen <address>', 'address the operator API and UI bind (env DRAGONFLY_LISTEN; default 127.0.0.1 = this host only; boot routes get their own listener on the --interface address)')
    .option('--backend <name>', 'storage: lowdb, memory, etcd, kubernetes (env DRAGONFLY_BACKEND; default lowdb)');
  swarmBackendOptions(serveCommand)
    .option('--image-peers <copy|redirect>', 'swarm: a machine needs an image only another instance holds: copy it here first, or redirect the machine to that instance (env DRAGONFLY_IMAGE_PEERS; default copy)')
    .option('--join <token>', 'join the swarm in etcd with a token from `dragonfly swarm join-token` (env DRAGONFLY_JOIN; needed once)')
    .option('--interface <name>', 'provisioning interface for DHCP/TFTP (env DRAGONFLY_INTERFACE; default none = off)')
    .option('--dhcp-mode <mode>', 'full, proxy or off (env DRAGONFLY_DHCP_MODE; default proxy)')
    .option('--dhcp-range <start-end>', 'address pool for full mode (env DRAGONFLY_DHCP_RANGE)')
    .option('--router <ip>', 'default gateway handed out in full mode')
    .option('--dns <ips>', 'comma-separated DNS servers handed out in full mode')
    .option('--lease-seconds <n>', 'lease time in seconds (default 3600)')
    .option('--tftp-port <port>', 'TFTP port (env DRAGONFLY_TFTP_PORT; default 69; 0 = off)')
    .option('--advertise-address <ip>', 'address machines use to reach this server (default: the interface address)')
    .option('--log-level <level>', 'debug, info, warn, error (default info)')
    .option('--priv-helper <where>', 'helper that binds UDP 67/69/4011 when this user may not: unix:/path or exec:COMMAND (env DRAGONFLY_PRIV_HELPER; docs/PRIVILEGES.md)')
    .option('--agent-image-dir <dir>', 'agent kernel + initramfs directory (env DRAGONFLY_AGENT_IMAGE_DIR; default dist/agent-image in the install)')
    .option('--secure-boot <auto|on|off>', 'which UEFI x64 PXE clients boot the signed shim -> GRUB chain: auto = all but machines whose agent reported Secure Boot off (they get iPXE), on = all, off = none (env DRAGONFLY_SECURE_BOOT; default auto; docs/SECURE-BOOT.md)')
    .option('--require-dhcp-evidence <on|off>', 'while DHCP runs, enrolment tokens only for the address of the MAC\'s DHCP exchange (default on; docs/SECURITY.md)')
    .option('--discoveries-per-minute <n>', 'new machines from unknown MACs per minute (default 60; 0 = none)')
    .option('--discoveries-total <n>', 'new machines from unknown MACs since start (default 1000; 0 = none)')
    .option('--build-agent-image', 'build the agent image in the background when missing or its inputs changed (npm start sets this)')
    .action(async (flags: ServeFlags) => {
      // Loaded only for `serve`: the whole control plane would otherwise be compiled at every
      // start of a short command (`machines list` took seconds before printing a line).
      const { serve } = await import('./serve.ts');
      const stop = await serve(flags, io.out);
      onServe?.(stop);
    });

  const machines = program.command('machines').description('machines (Hardware objects)');
  machines
    .command('list')
    .option('-l, --selector <selector>', 'label selector, e.g. rack=r1')
    .action(async (opts: { selector?: string }, cmd: Command) => {
      const q = opts.selector ? `?labelSelector=${encodeURIComponent(opts.selector)}` : '';
      const res = await client(cmd, io).request<{ items: Hardware[] }>('GET', `/api/v1/hardware${q}`);
      io.out(isJson(cmd) ? JSON.stringify(res.items, null, 2) : formatTable(hardwareRows(res.items), 'No machines yet: PXE-boot one on the provisioning network.'));
    });
  machines
    .command('show <name>')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const hw = await client(cmd, io).request<Hardware>('GET', `/api/v1/hardware/${encodeURIComponent(name)}`);
      io.out(JSON.stringify(hw, null, 2));
    });
  machines
    .command('identity <name> <decision>')
    .description('resolve an identity conflict: accept the offered identity, or refuse it (keep the pinned one)')
    .action(async (name: string, decision: string, _o: unknown, cmd: Command) => {
      if (decision !== 'accept' && decision !== 'refuse') throw new Error(`decision "${decision}": say accept or refuse`);
      const hw = await client(cmd, io).request<Hardware>('POST', `/api/v1/hardware/${encodeURIComponent(name)}/identity`, { decision });
      const pinned = hw.status?.identity?.pinned;
      io.out(isJson(cmd) ? JSON.stringify(hw, null, 2) : `${name}: identity ${decision === 'accept' ? 'accepted' : 'refused'}; pinned serial ${pinned?.serial ?? '(none)'}, uuid ${pinned?.uuid ?? '(none)'}`);
    });

  machines
    .command('import <file>')
    .description('declare machines from a CSV inventory (mac, bmc_address, bmc_username/bmc_password or credential_ref, rack, position, labels, name); all rows or none')
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const text = await readFile(file, 'utf8');
      const res = await client(cmd, io).request<{ created: Array<{ line: number; name: string; mac: string }> }>('POST', '/api/v1/inventory/import', text, 'text/csv');
      io.out(isJson(cmd) ? JSON.stringify(res, null, 2) : res.created.map((m) => `line ${m.line}: ${m.name} (${m.mac}) declared`).join('\n'));
    });

  machines
    .command('revoke-token <name>')
    .description("refuse every agent token issued to this machine so far (a leaked one, say); its agent must boot again to enrol")
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const res = await client(cmd, io).request<{ hardware: string; revoked: string[] }>('POST', `/api/v1/hardware/${encodeURIComponent(name)}/revoke-agent-tokens`);
      io.out(isJson(cmd) ? JSON.stringify(res, null, 2) : `${name}: agent tokens revoked for ${res.revoked.join(', ')}`);
    });

  machines
    .command('forget <name>')
    .description('delete the machine: its next network boot is a new discovery (e.g. after Secure Boot was turned on: docs/SECURE-BOOT.md)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      await client(cmd, io).request('DELETE', `/api/v1/hardware/${encodeURIComponent(name)}`);
      io.out(`${name}: forgotten; its next network boot discovers it again`);
    });

  machines
    .command('approve <name>')
    .description('approve a machine awaiting approval (enrolment: approve): it becomes Registered and may be assigned')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const hw = await client(cmd, io).request<Hardware>('POST', `/api/v1/hardware/${encodeURIComponent(name)}/approve`);
      io.out(isJson(cmd) ? JSON.stringify(hw, null, 2) : `${name}: approved (${hw.status?.state})`);
    });
  program
    .command('enrolment [mode]')
    .description('show the enrolment setting, or set it: open (machines register freely) or approve (an operator approves each new machine)')
    .action(async (mode: string | undefined, _o: unknown, cmd: Command) => {
      if (mode !== undefined && mode !== 'open' && mode !== 'approve') throw new Error(`enrolment "${mode}": say open or approve`);
      const c = client(cmd, io);
      const res = await c.request<{ enrolment: string }>(mode ? 'PUT' : 'GET', '/api/v1/settings/enrolment', mode ? { enrolment: mode } : undefined);
      io.out(isJson(cmd) ? JSON.stringify(res, null, 2) : `enrolment: ${res.enrolment}`);
    });

  const templates = program.command('templates').description('OS templates');
  templates
    .command('list')
    .action(async (_o: unknown, cmd: Command) => {
      const res = await client(cmd, io).request<{ items: StoredObject[] }>('GET', '/api/v1/templates');
      const rows = res.items.map((t) => ({ NAME: t.metadata.name, ACTIONS: String((t.spec as { actions: unknown[] }).actions.length), DESCRIPTION: (t.spec as { description?: string }).description ?? '' }));
      io.out(isJson(cmd) ? JSON.stringify(res.items, null, 2) : formatTable(rows, 'No templates yet: dragonfly apply -f template.yaml'));
    });
  templates
    .command('secret <template> <variable>')
    .description('set a secret variable of a template (listed in spec.secretVariables) from stdin; it is stored encrypted and never shown again')
    .action(async (template: string, variable: string, _o: unknown, cmd: Command) => {
      // from stdin, never an argument: arguments show in `ps` and in shell history
      const value = (await io.stdin()).replace(/\r?\n$/, '');
      if (!value) throw new DragonflyError('DF_ERR_INVALID', `give the value of ${variable} on stdin (e.g. dragonfly templates secret ${template} ${variable} < file)`);
      await client(cmd, io).request('PUT', `/api/v1/templates/${encodeURIComponent(template)}/secrets/${encodeURIComponent(variable)}`, { value });
      io.out(`secret ${variable} of template ${template} set`);
    });

  program
    .command('apply')
    .description('create or update objects from YAML or JSON (kubectl-style)')
    .requiredOption('-f, --file <file>', 'file with one or many objects; - for stdin')
    .action(async (opts: { file: string }, cmd: Command) => {
      const text = opts.file === '-' ? await io.stdin() : await readFile(opts.file, 'utf8');
      const res = await client(cmd, io).request<{ results: Array<{ kind: string; name: string; action: string }> }>('POST', '/api/v1/apply', text, 'application/yaml');
      io.out(isJson(cmd) ? JSON.stringify(res, null, 2) : res.results.map((r) => `${r.kind.toLowerCase()}/${r.name} ${r.action}`).join('\n'));
    });

  program
    .command('assign <template> <machines...>')
    .description('assign an OS template to one or many machines')
    .option('--reimage', 'confirm erasing machines that are already provisioned')
    .action(async (template: string, names: string[], opts: { reimage?: boolean }, cmd: Command) => {
      const res = await client(cmd, io).request<{ results: Array<{ machine: string; workflow?: string; error?: { message: string } }> }>(
        'POST',
        '/api/v1/assign',
        { template, machines: names, reimage: opts.reimage },
      );
      if (isJson(cmd)) io.out(JSON.stringify(res, null, 2));
      else for (const r of res.results) (r.error ? io.err : io.out)(r.error ? `${r.machine}: ${r.error.message}` : `${r.machine}: workflow ${r.workflow}`);
      if (res.results.some((r) => r.error)) process.exitCode = 1;
    });

  const tokens = program.command('tokens').description('API tokens');
  tokens
    .command('create <name>')
    .option('--expires-days <n>', 'expire after N days')
    .option('--data-dir <dir>', 'on the server host: create directly in this data directory, no login needed')
    .action(async (name: string, opts: { expiresDays?: string; dataDir?: string }, cmd: Command) => {
      const days = opts.expiresDays ? Number(opts.expiresDays) : undefined;
      const created = opts.dataDir
        ? await (await openLocalAuth(opts.dataDir)).createToken(name, days)
        : await client(cmd, io).request<{ token: string; id: string }>('POST', '/api/v1/tokens', { name, expiresInDays: days });
      io.out(isJson(cmd) ? JSON.stringify(created, null, 2) : created.token);
    });
  tokens.command('list').action(async (_o: unknown, cmd: Command) => {
    const res = await client(cmd, io).request<{ items: Array<{ id: string; name: string; createdAt: string; expiresAt?: string; revokedAt?: string }> }>('GET', '/api/v1/tokens');
    const rows = res.items.map((t) => ({ ID: t.id, NAME: t.name, CREATED: t.createdAt, EXPIRES: t.expiresAt ?? 'never', REVOKED: t.revokedAt ?? '' }));
    io.out(isJson(cmd) ? JSON.stringify(res.items, null, 2) : formatTable(rows, 'No API tokens.'));
  });
  tokens.command('revoke <id>').action(async (id: string, _o: unknown, cmd: Command) => {
    await client(cmd, io).request('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
    io.out(`token ${id} revoked`);
  });

  addAdminCommands(program, io, (cmd) => client(cmd, io));
  addHandoffCommands(program, io.out);
  addReportCommands(program, io.out, (cmd) => client(cmd, io));
  addSwarmCommands(program, io);
  addConsoleCommand(program, (cmd) => target(cmd, io), { stdin: process.stdin, stdout: process.stdout, status: io.err });
  addImageCommands(program, { out: io.out, progress: (line, final) => (process.stderr.isTTY ? process.stderr.write(`\r${line}${final ? '\n' : ''}`) : io.err(line)) }, (cmd) => target(cmd, io));
  return program;
}

/** Exit code: 0 on success; the server's message and 1 on failure. */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let stopServer: (() => Promise<void>) | undefined;
  const program = buildCli(io, (stop) => (stopServer = stop));
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    io.err(`error: ${isDragonflyError(e) ? e.message : (e as Error).message}`);
    return 1;
  }
  if (stopServer) {
    const stop = stopServer;
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        void stop().then(() => process.exit(0));
      });
    }
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
