/**
 * The lab's view of the control plane: polls GET /api/v1/hardware and asserts what a boot
 * left behind (boot history, registration, facts). Runs inside the server namespace, so it
 * talks to the control plane on that namespace's loopback only.
 *
 *   node --import tsx e2e/lab/api.ts wait-boot --mac M --steps dhcp,tftp,script [--since ISO] [--dhcp-mode full|proxy] [--timeout S]
 *   node --import tsx e2e/lab/api.ts wait-registered --mac M [--since ISO] [--cpus N] [--memory-mib N]
 *        [--disk-bytes A,B] [--firmware bios|uefi] [--secure-boot true|false] [--arch aarch64|x86_64] [--timeout S]
 *   node --import tsx e2e/lab/api.ts show --mac M
 *   node --import tsx e2e/lab/api.ts same-machine --mac M --other-macs M2[,M3]
 *   node --import tsx e2e/lab/api.ts identity-conflict --mac M --pinned-serial A --offered-serial B [--timeout S]
 *
 * Environment: LAB_API_URL (default http://127.0.0.1:8080), LAB_TOKEN (an API token).
 * Success: exit 0 and one summary line on stdout (the lab shows it in its table).
 * Failure: exit 1 and the reason on stderr and stdout.
 */
import { parseArgs } from 'node:util';
import type { Hardware } from '../../core/model/hardware.ts';

const API = process.env.LAB_API_URL ?? 'http://127.0.0.1:8080';
const TOKEN = process.env.LAB_TOKEN ?? '';

type BootStep = NonNullable<NonNullable<Hardware['status']>['bootHistory']>[number];

async function listHardware(): Promise<Hardware[]> {
  const res = await fetch(`${API}/api/v1/hardware`, { headers: { authorization: `Bearer ${TOKEN}` } });
  if (!res.ok) throw new Error(`GET /api/v1/hardware answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  return ((await res.json()) as { items: Hardware[] }).items;
}

async function findByMac(mac: string): Promise<Hardware | undefined> {
  return (await listHardware()).find((h) => h.spec.macs.includes(mac));
}

/** Boot steps recorded at or after `since` (a second boot must not pass on the first one's history). */
export function stepsSince(hw: Hardware | undefined, since: string | undefined): BootStep[] {
  const all = hw?.status?.bootHistory ?? [];
  return since ? all.filter((s) => s.at >= since) : all;
}

/** The first missing step of `wanted`, in order: dhcp must come before tftp before script. */
export function missingStep(steps: BootStep[], wanted: string[]): string | undefined {
  let from = 0;
  for (const w of wanted) {
    const i = steps.findIndex((s, k) => k >= from && s.step === w);
    if (i < 0) return w;
    from = i + 1;
  }
  return undefined;
}

const secondsBetween = (a?: string, b?: string) => (a && b ? ((Date.parse(b) - Date.parse(a)) / 1000).toFixed(1) : '?');

/** Polls until `done` returns a string (success summary) or the timeout passes (last reason thrown). */
async function poll(timeoutS: number, done: () => Promise<{ ok: true; summary: string } | { ok: false; why: string }>): Promise<string> {
  const until = Date.now() + timeoutS * 1000;
  let why: string;
  for (;;) {
    try {
      const r = await done();
      if (r.ok) return r.summary;
      why = r.why;
    } catch (e) {
      why = (e as Error).message;
    }
    if (Date.now() > until) throw new Error(`after ${timeoutS} s: ${why}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

interface Opts {
  mac: string;
  since?: string;
  timeout: number;
  steps: string[];
  dhcpMode?: string;
  cpus?: number;
  memoryMib?: number;
  diskBytes?: number[];
  firmware?: string;
  /** The agent's secureBoot fact, when the scenario knows what the firmware enforces. */
  secureBoot?: boolean;
  /** The CPU architecture the agent must report (facts.cpu.arch). */
  arch?: string;
  otherMacs?: string[];
  pinnedSerial?: string;
  offeredSerial?: string;
}

async function waitBoot(o: Opts): Promise<string> {
  return poll(o.timeout, async () => {
    const hw = await findByMac(o.mac);
    if (!hw) return { ok: false, why: `no Hardware object has MAC ${o.mac}` };
    const steps = stepsSince(hw, o.since);
    const missing = missingStep(steps, o.steps);
    if (missing) return { ok: false, why: `${hw.metadata.name}: no "${missing}" step yet (have ${steps.map((s) => s.step).join(',') || 'none'})` };
    const dhcp = steps.filter((s) => s.step === 'dhcp');
    if (o.dhcpMode && !dhcp.some((s) => s.detail?.includes(` ${o.dhcpMode}`))) {
      return { ok: false, why: `dhcp steps are not ${o.dhcpMode} mode: ${dhcp.map((s) => s.detail).join('; ')}` };
    }
    const script = steps.find((s) => s.step === 'script');
    const tftp = steps.filter((s) => s.step === 'tftp').map((s) => s.detail);
    return {
      ok: true,
      summary: `${hw.metadata.name}: ${o.steps.join('->')} ok, first dhcp->script ${secondsBetween(dhcp[0]?.at, script?.at)} s${tftp.length ? `, tftp: ${tftp.join('; ')}` : ''}`,
    };
  });
}

/** Differences between the registered facts and the VM's known shape; empty when they match. */
export function factProblems(hw: Hardware, o: Opts): string[] {
  const f = hw.spec.facts;
  if (!f) return ['no facts'];
  const p: string[] = [];
  if (o.cpus !== undefined && f.cpu.threads !== o.cpus) p.push(`cpu threads ${f.cpu.threads}, want ${o.cpus}`);
  if (o.memoryMib !== undefined && f.memoryBytes !== o.memoryMib * 2 ** 20) p.push(`memoryBytes ${f.memoryBytes}, want ${o.memoryMib * 2 ** 20}`);
  if (o.diskBytes) {
    const got = f.disks.map((d) => d.sizeBytes).sort((a, b) => a - b);
    const want = [...o.diskBytes].sort((a, b) => a - b);
    if (got.join(',') !== want.join(',')) p.push(`disk sizes [${got.join(', ')}], want [${want.join(', ')}]`);
  }
  if (o.firmware && f.firmware !== o.firmware) p.push(`firmware ${f.firmware}, want ${o.firmware}`);
  if (o.secureBoot !== undefined && f.secureBoot !== o.secureBoot) p.push(`secureBoot ${f.secureBoot}, want ${o.secureBoot}`);
  if (o.arch && f.cpu.arch !== o.arch) p.push(`cpu arch ${f.cpu.arch}, want ${o.arch}`);
  if (!f.nics.some((n) => n.mac === o.mac)) p.push(`no NIC with MAC ${o.mac} in facts`);
  return p;
}

async function waitRegistered(o: Opts): Promise<string> {
  return poll(o.timeout, async () => {
    const hw = await findByMac(o.mac);
    if (!hw) return { ok: false, why: `no Hardware object has MAC ${o.mac}` };
    const steps = stepsSince(hw, o.since);
    const agent = steps.find((s) => s.step === 'agent');
    if (!agent || hw.status?.state !== 'Registered') {
      return { ok: false, why: `${hw.metadata.name} is ${hw.status?.state}, agent step ${agent ? 'seen' : 'not seen'} since ${o.since ?? 'ever'}` };
    }
    const problems = factProblems(hw, o);
    if (problems.length) return { ok: false, why: `${hw.metadata.name} facts differ: ${problems.join('; ')}` };
    const f = hw.spec.facts!;
    const script = steps.find((s) => s.step === 'script');
    return {
      ok: true,
      summary:
        `${hw.metadata.name} "${hw.spec.displayName}" uid ${hw.metadata.uid}: Registered, ${f.cpu.threads} CPUs, ` +
        `${f.memoryBytes / 2 ** 20} MiB, disks ${f.disks.map((d) => `${d.name}=${d.sizeBytes}`).join(' ')}, ${f.firmware}, ${f.cpu.arch ?? 'arch ?'}${f.secureBoot === undefined ? '' : `, secureBoot ${f.secureBoot}`}; script->agent ${secondsBetween(script?.at, agent.at)} s`,
    };
  });
}

/**
 * Problems with "one machine has all these MACs": every Hardware object that has any of them
 * must be the same one, its spec and its registered NICs must list all of them.
 */
export function sameMachineProblems(items: Hardware[], macs: string[]): string[] {
  const owners = items.filter((h) => h.spec.macs.some((m) => macs.includes(m)));
  if (owners.length !== 1) return [`${owners.length} Hardware objects have one of ${macs.join(', ')}: ${owners.map((h) => `${h.metadata.name} [${h.spec.macs.join(' ')}]`).join('; ')}`];
  const [hw] = owners;
  const nics = hw.spec.facts?.nics.map((n) => n.mac) ?? [];
  return macs.flatMap((m) => [
    ...(hw.spec.macs.includes(m) ? [] : [`${hw.metadata.name}: spec.macs lacks ${m}`]),
    ...(nics.includes(m) ? [] : [`${hw.metadata.name}: no registered NIC with ${m}`]),
  ]);
}

async function sameMachine(o: Opts): Promise<string> {
  const macs = [o.mac, ...(o.otherMacs ?? [])];
  const items = await listHardware();
  const problems = sameMachineProblems(items, macs);
  if (problems.length) throw new Error(problems.join('; '));
  const hw = items.find((h) => h.spec.macs.includes(o.mac))!;
  return `one machine ${hw.metadata.name} (${hw.status?.state}) with MACs ${hw.spec.macs.join(', ')}`;
}

/**
 * Issue 14: a registration for the MAC with another SMBIOS serial is on the machine as an
 * identity conflict awaiting the operator, and the machine's own facts still say the pinned one.
 */
async function identityConflict(o: Opts): Promise<string> {
  return poll(o.timeout, async () => {
    const hw = await findByMac(o.mac);
    if (!hw) return { ok: false, why: `no Hardware object has MAC ${o.mac}` };
    const id = hw.status?.identity;
    const condition = hw.status?.conditions?.find((c) => c.type === 'IdentityConflict' && c.status === 'True');
    if (!id || id.offered?.serial !== o.offeredSerial || !condition) {
      return { ok: false, why: `${hw.metadata.name}: offered serial ${id?.offered?.serial ?? '(none)'}, IdentityConflict ${condition ? 'set' : 'not set'}` };
    }
    const facts = hw.spec.facts?.dmi?.serial;
    if (id.pinned.serial !== o.pinnedSerial || facts !== o.pinnedSerial) {
      return { ok: false, why: `${hw.metadata.name}: pinned serial ${id.pinned.serial}, facts serial ${facts}; want ${o.pinnedSerial} in both` };
    }
    return { ok: true, summary: `${hw.metadata.name}: ${o.offeredSerial} refused (${(condition.message ?? '').slice(0, 90)}); pinned and facts serial ${facts}` };
  });
}

async function show(o: Opts): Promise<string> {
  const hw = await findByMac(o.mac);
  if (!hw) throw new Error(`no Hardware object has MAC ${o.mac}`);
  return `${hw.metadata.name}\t${hw.metadata.uid}\t${hw.spec.displayName ?? ''}\t${hw.status?.state ?? ''}`;
}

function parse(argv: string[]): { cmd: string; o: Opts } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      mac: { type: 'string' },
      since: { type: 'string' },
      timeout: { type: 'string', default: '120' },
      steps: { type: 'string', default: 'dhcp,script' },
      'dhcp-mode': { type: 'string' },
      cpus: { type: 'string' },
      'memory-mib': { type: 'string' },
      'disk-bytes': { type: 'string' },
      firmware: { type: 'string' },
      'secure-boot': { type: 'string' },
      arch: { type: 'string' },
      'other-macs': { type: 'string' },
      'pinned-serial': { type: 'string' },
      'offered-serial': { type: 'string' },
    },
  });
  if (!values.mac) throw new Error('--mac is required');
  const num = (s?: string) => (s === undefined ? undefined : Number(s));
  return {
    cmd: positionals[0] ?? '',
    o: {
      mac: values.mac.toLowerCase(),
      since: values.since,
      timeout: Number(values.timeout),
      steps: values.steps!.split(','),
      dhcpMode: values['dhcp-mode'],
      cpus: num(values.cpus),
      memoryMib: num(values['memory-mib']),
      diskBytes: values['disk-bytes']?.split(',').map(Number),
      firmware: values.firmware,
      secureBoot: values['secure-boot'] === undefined ? undefined : values['secure-boot'] === 'true',
      arch: values.arch,
      otherMacs: values['other-macs']?.toLowerCase().split(',').filter(Boolean) ?? [],
      pinnedSerial: values['pinned-serial'],
      offeredSerial: values['offered-serial'],
    },
  };
}

const commands: Record<string, (o: Opts) => Promise<string>> = { 'wait-boot': waitBoot, 'wait-registered': waitRegistered, 'same-machine': sameMachine, 'identity-conflict': identityConflict, show };

async function main(): Promise<void> {
  const { cmd, o } = parse(process.argv.slice(2));
  const run = commands[cmd];
  if (!run) throw new Error(`unknown command "${cmd}"; one of ${Object.keys(commands).join(', ')}`);
  console.log(await run(o));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: Error) => {
    console.log(e.message);
    process.exit(1);
  });
}
