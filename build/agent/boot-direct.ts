/**
 * Boots the agent image straight from vmlinuz + initramfs.img in QEMU (TCG, user-mode
 * networking) against a fake control plane on 127.0.0.1, and checks what the agent reports.
 * Opt-in: about 30-60 s per boot. Run: node --import tsx build/agent/boot-direct.ts [options]
 *   --firmware bios|uefi|uefi-sb|both   (default both; uefi-sb: Secure Boot, shim -> GRUB)
 *   --snapshot DIR              instead record hardware snapshots (fixtures) into DIR/qemu-<fw>.json
 *   --image DIR                 where vmlinuz/initramfs.img are (default dist/agent-image)
 *   --log DIR                   keep each serial console log as DIR/serial-<fw>.log
 * QEMU's slirp gateway 10.0.2.2 is the host's loopback, so all traffic stays on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Value } from 'typebox/value';
import { HardwareFacts } from '../../core/model/hardware.ts';
import { SNAPSHOT_BEGIN, SNAPSHOT_END } from '../../agent/hardware/snapshot.ts';
import { signedChainArgs } from './boot-signed-chain.ts';

/** uefi-sb: OVMF with Secure Boot enforced, booted through the signed chain (boot-signed-chain.ts). */
export type Firmware = 'bios' | 'uefi' | 'uefi-sb';

export const VM = {
  memoryMiB: 1536,
  cpus: 2,
  mac: '52:54:00:df:a0:01',
  /** Two virtio disks of different sizes (bytes), each with a serial. */
  disks: [
    { sizeBytes: 64 * 2 ** 20, serial: 'dfa-disk-a' },
    { sizeBytes: 160 * 2 ** 20 + 512 * 1024, serial: 'dfa-disk-b' },
  ],
};

const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

export interface Recorded {
  path: string;
  authorization: string | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- whatever JSON the agent sent; the checks below probe it field by field
  body: any;
  atMs: number;
}

/** The control plane as the agent sees it: register -> wait; heartbeat 1 -> run wf; heartbeat 2 -> reboot. */
export function fakeControlPlane(t0: number): { server: Server; calls: Recorded[] } {
  const calls: Recorded[] = [];
  let heartbeats = 0;
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    calls.push({ path: req.url ?? '', authorization: req.headers.authorization, body, atMs: Date.now() - t0 });
    const send = (code: number, v: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(v));
    if (req.url === '/api/agent/v1/register') {
      return send(200, { hardware: 'hw-52-54-00-df-a0-01', displayName: 'Amber Falcon Orbit', agentToken: 'agent-tok', next: { action: 'wait' }, heartbeatSeconds: 1 });
    }
    if (req.url === '/api/agent/v1/heartbeat') {
      heartbeats++;
      return send(200, { next: heartbeats === 1 ? { action: 'run', workflow: 'wf-1' } : { action: 'reboot' } });
    }
    if (req.url?.startsWith('/api/agent/v1/workflows/')) return send(200, {});
    send(404, { message: 'no such route' });
  });
  return { server, calls };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return null;
  }
}

export interface BootResult {
  firmware: Firmware;
  calls: Recorded[];
  serial: string;
  /** QEMU start to the registration POST arriving, ms. */
  registerMs: number | undefined;
  exitCode: number | null;
}

/** One boot; resolves when QEMU exits (the agent reboots with -no-reboot) or after timeoutMs. */
export async function bootDirect(opts: { firmware: Firmware; imageDir: string; mode?: string; timeoutMs?: number }): Promise<BootResult> {
  const work = mkdtempSync(join(tmpdir(), 'dfa-boot-'));
  const t0 = Date.now();
  const { server, calls } = fakeControlPlane(t0);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const args = qemuArgs(opts.firmware, opts.imageDir, work, port, opts.mode ?? 'discovery');
    // The signed chain loads the agent over TFTP (GRUB's HTTP cannot reach the port): minutes under TCG.
    const exitCode = await runQemu(args, opts.timeoutMs ?? (opts.firmware === 'uefi-sb' ? 540_000 : 240_000));
    const serial = readFileSync(join(work, 'serial.log'), 'utf8');
    const reg = calls.find((c) => c.path === '/api/agent/v1/register');
    return { firmware: opts.firmware, calls, serial, registerMs: reg?.atMs, exitCode };
  } finally {
    server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

export function qemuArgs(firmware: Firmware, imageDir: string, work: string, port: number, mode: string): string[] {
  if (firmware === 'uefi-sb') return [...commonArgs(work), ...diskArgs(work), ...signedChainArgs(work, imageDir, VM.mac, port)];
  const append = [
    'console=ttyS0',
    'no_timer_check', // under a loaded host TCG is too slow for the kernel's IO-APIC timer check and panics
    mode === 'snapshot' ? 'quiet' : '',
    `dragonfly.url=http://10.0.2.2:${port}`,
    'dragonfly.token=enrol-tok',
    `dragonfly.mac=${VM.mac}`,
    `dragonfly.mode=${mode}`,
  ].filter(Boolean).join(' ');
  const args = [
    ...commonArgs(work),
    '-kernel', join(imageDir, 'vmlinuz'), '-initrd', join(imageDir, 'initramfs.img'), '-append', append,
    '-netdev', 'user,id=n0', '-device', `virtio-net-pci,netdev=n0,mac=${VM.mac},romfile=`,
    ...diskArgs(work),
  ];
  if (firmware === 'uefi') {
    copyFileSync(OVMF_VARS, join(work, 'vars.fd'));
    args.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`, '-drive', `if=pflash,format=raw,unit=1,file=${join(work, 'vars.fd')}`);
  }
  return args;
}

function commonArgs(work: string): string[] {
  return ['-accel', 'tcg', '-m', String(VM.memoryMiB), '-smp', String(VM.cpus), '-nographic', '-no-reboot', '-monitor', 'none', '-serial', `file:${join(work, 'serial.log')}`];
}

/** The VM's disks, as sparse files in WORK (they cost no disk space). */
function diskArgs(work: string): string[] {
  return VM.disks.flatMap((d, i) => {
    const file = join(work, `disk${i}.img`);
    writeFileSync(file, '');
    truncateSync(file, d.sizeBytes);
    return ['-drive', `file=${file},format=raw,if=none,id=d${i}`, '-device', `virtio-blk-pci,drive=d${i},serial=${d.serial}`];
  });
}

function runQemu(args: string[], timeoutMs: number): Promise<number | null> {
  return new Promise((resolveExit, reject) => {
    const p = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (stderr.trim()) process.stderr.write(`qemu: ${stderr}`);
      resolveExit(code);
    });
  });
}

/** What a user of the control plane would check about this VM; returns the failures. */
export function checkReport(r: BootResult): string[] {
  const problems: string[] = [];
  const reg = r.calls.find((c) => c.path === '/api/agent/v1/register');
  if (!reg) return ['no registration arrived'];
  const facts = reg.body?.facts;
  const expect = (ok: boolean, what: string) => ok || problems.push(what);
  expect(reg.authorization === 'Bearer enrol-tok', `register Authorization ${reg.authorization}`);
  expect(reg.body?.mac === VM.mac, `register mac ${reg.body?.mac}`);
  expect(Value.Check(HardwareFacts, facts), `facts do not match the HardwareFacts schema: ${JSON.stringify([...Value.Errors(HardwareFacts, facts)].slice(0, 3))}`);
  expect(facts?.cpu?.threads === VM.cpus, `cpu threads ${facts?.cpu?.threads}, want ${VM.cpus}`);
  const mem = VM.memoryMiB * 2 ** 20;
  expect(Math.abs(facts?.memoryBytes - mem) / mem < 0.03, `memory ${facts?.memoryBytes}, want ~${mem}`);
  const sizes = (facts?.disks ?? []).map((d: { sizeBytes: number }) => d.sizeBytes).sort((a: number, b: number) => a - b);
  expect(JSON.stringify(sizes) === JSON.stringify(VM.disks.map((d) => d.sizeBytes)), `disk sizes ${sizes}`);
  expect((facts?.nics ?? []).some((n: { mac: string }) => n.mac === VM.mac), `no NIC with ${VM.mac}`);
  const firmware = r.firmware === 'bios' ? 'bios' : 'uefi';
  expect(facts?.firmware === firmware, `firmware ${facts?.firmware}, want ${firmware}`);
  // Only uefi-sb enforces Secure Boot; plain OVMF (OVMF_VARS_4M.fd, no keys) and SeaBIOS are a known false, not unknown.
  const secureBoot = r.firmware === 'uefi-sb';
  expect(facts?.secureBoot === secureBoot, `secureBoot ${facts?.secureBoot}, want ${secureBoot}`);
  const hb = r.calls.filter((c) => c.path === '/api/agent/v1/heartbeat');
  expect(hb.length >= 2 && hb.every((c) => c.authorization === 'Bearer agent-tok'), `heartbeats ${hb.length} with agent token`);
  const ev = r.calls.find((c) => c.path === '/api/agent/v1/workflows/wf-1/events');
  expect(ev?.body?.phase === 'Failed' && /the workflow reply has no name/.test(ev?.body?.message), `workflow event ${JSON.stringify(ev?.body)}`);
  expect(r.exitCode === 0, `QEMU exit ${r.exitCode} (the agent should have rebooted it)`);
  return problems;
}

export function extractSnapshot(serial: string): unknown {
  const text = serial.replace(/\r/g, '');
  const a = text.indexOf(SNAPSHOT_BEGIN);
  const b = text.indexOf(SNAPSHOT_END, a);
  if (a < 0 || b < 0) throw new Error('no snapshot in the serial log');
  return JSON.parse(text.slice(a + SNAPSHOT_BEGIN.length, b).trim());
}

async function cli(argv: string[]): Promise<number> {
  const get = (n: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : undefined);
  const fw = get('--firmware') ?? 'both';
  const imageDir = resolve(get('--image') ?? 'dist/agent-image');
  const firmwares: Firmware[] = fw === 'both' ? ['bios', 'uefi'] : [fw as Firmware];
  const snapshotDir = get('--snapshot');
  let failed = 0;
  for (const firmware of firmwares) {
    const r = await bootDirect({ firmware, imageDir, mode: snapshotDir ? 'snapshot' : 'discovery' });
    const logDir = get('--log');
    if (logDir) writeFileSync(join(logDir, `serial-${firmware}.log`), r.serial);
    if (snapshotDir) {
      const file = join(snapshotDir, `qemu-${firmware}.json`);
      writeFileSync(file, JSON.stringify(extractSnapshot(r.serial), null, 1) + '\n');
      console.log(`${firmware}: snapshot written to ${file}`);
      continue;
    }
    const problems = checkReport(r);
    const secs = r.registerMs === undefined ? 'never' : `${(r.registerMs / 1000).toFixed(1)} s`;
    console.log(`${firmware}: QEMU start -> registration POST ${secs}; ${problems.length ? 'FAILED' : 'ok'}`);
    for (const p of problems) console.log(`  - ${p}`);
    if (problems.length) {
      failed++;
      console.log(r.serial.split('\n').slice(-40).join('\n'));
    }
  }
  console.log(`${firmwares.length - failed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  cli(process.argv.slice(2)).then((c) => process.exit(c));
}
