/**
 * Entry point of the agent bundle (dist/agent/agent.js), started by the boot image's /init.
 *   node agent.js             read /proc/cmdline and run (register, heartbeat, act)
 *   node agent.js --version   print the version
 *   node agent.js --facts     print the detected HardwareFacts as JSON
 *   node agent.js --snapshot  print the raw hardware snapshot as JSON (fixture recording)
 * Exit code 2 means the kernel command line is unusable; /init then opens a shell.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { runAgent } from './agent.ts';
import { AgentApi } from './api.ts';
import { parseBootParams } from './cmdline.ts';
import { collectSnapshot } from './hardware/collect.ts';
import { detectHardware } from './hardware/detect.ts';
import { SNAPSHOT_BEGIN, SNAPSHOT_END } from './hardware/snapshot.ts';
import { createWorkflowRunner } from './actions/entry.ts';
import { nodeHttpGet } from './actions/http-get.ts';
import { ControlPlane } from './control-plane.ts';
import { dhcpServerFinder } from './dhcp-probe.ts';

declare const __DRAGONFLY_AGENT_VERSION__: string | undefined;
const AGENT_VERSION = typeof __DRAGONFLY_AGENT_VERSION__ === 'string' ? __DRAGONFLY_AGENT_VERSION__ : 'dev';


const say = (line: string) => process.stdout.write(`dragonfly-agent: ${line}\n`);

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--version')) return print(`dragonfly-agent ${AGENT_VERSION}`);
  if (argv.includes('--facts')) return print(JSON.stringify(detectHardware(collectSnapshot()), null, 2));
  if (argv.includes('--snapshot')) return print(JSON.stringify(collectSnapshot()));
  const cmdline = argValue(argv, '--cmdline') ?? readFileSync('/proc/cmdline', 'utf8');
  const parsed = parseBootParams(cmdline);
  if (!parsed.ok) {
    say(`cannot start: ${parsed.error} (kernel command line: ${cmdline.trim().replace(/(dragonfly\.token=)\S+/, '$1***')})`);
    return 2;
  }
  const { params } = parsed;
  say(`dragonfly-agent ${AGENT_VERSION}, mode ${params.mode}, control plane ${params.url}${uptime()}`);
  if (params.mode === 'snapshot') return printSnapshotAndPowerOff();
  const facts = detectHardware(collectSnapshot());
  say(`detected ${facts.cpu.threads} CPUs, ${gib(facts.memoryBytes)} GiB, ${facts.disks.length} disks, ${facts.nics.length} NICs, ${facts.firmware}`);
  // swarm: when this instance dies, the one DHCP names next takes over (agent/control-plane.ts)
  const controlPlane = new ControlPlane({ url: params.url, find: dhcpServerFinder(params.mac, say), say });
  await runAgent({
    params,
    api: new AgentApi(params.url, controlPlane.fetch),
    facts,
    sleep: (ms) => sleep(ms),
    random: Math.random,
    say,
    reboot: async () => forceReboot(),
    bootLocal: async () => forceReboot(),
    runWorkflow: createWorkflowRunner({ serverUrl: params.url, facts, fetch: controlPlane.fetch, httpGet: controlPlane.httpGet(nodeHttpGet()), controlPlane }),
  });
  return 0;
}

function printSnapshotAndPowerOff(): number {
  process.stdout.write(`\n${SNAPSHOT_BEGIN}\n${JSON.stringify(collectSnapshot())}\n${SNAPSHOT_END}\n`);
  spawnSync('poweroff', ['-f'], { stdio: 'inherit' });
  return 0;
}

/** busybox `reboot -f`: no init to signal in the initramfs, the kernel restarts at once. */
function forceReboot(): void {
  spawnSync('sync');
  spawnSync('reboot', ['-f'], { stdio: 'inherit' });
}

function argValue(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function print(text: string): number {
  process.stdout.write(text + '\n');
  return 0;
}

const gib = (b: number) => (b / 2 ** 30).toFixed(1);

/** Seconds since the kernel started, for reading boot timing off the console. */
function uptime(): string {
  try {
    return ` (at ${readFileSync('/proc/uptime', 'utf8').split(' ')[0]} s)`;
  } catch {
    return '';
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    say(`fatal: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
