/**
 * The console hand-over: while a machine provisions, Dragonfly's boot log recorder holds the
 * BMC's one SOL session, so a real `ipmitool sol activate` is refused. One command
 * (`dragonfly console NAME --release`) releases it; then ipmitool gets the console and the
 * recorder does not take it back. Against the real
 * OpenIPMI ipmi_sim on 127.0.0.1, whose serial port is a loopback TCP server.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ConsoleHolding, ConsoleServerMessage } from '../contract/console.ts';
import { recordProvisioningConsoles } from '../fleet/console-control.ts';
import type { Hardware } from '../model/hardware.ts';
import { BootConsoleLogs } from '../power/boot-console-log.ts';
import { ConsoleHub } from '../power/console-hub.ts';
import { machineConsoleHolder, openMachineConsole } from '../power/console.ts';
import { startIpmiSim, type IpmiSim } from '../power/ipmi/testing/ipmi-sim-harness.ts';
import { startSerialPort, type SerialPort } from '../power/ipmi/testing/serial-port-harness.ts';
import { createHarness, type Harness } from '../testing/api-harness.ts';
import { consoleHolding } from './console-command.ts';
import { describeWithPeers } from '../testing/peers.ts';

const run = promisify(execFile);
const MACHINE = 'rack2-node1';
const logDir = mkdtempSync(join(tmpdir(), 'df-handover-'));
const credentialOf = (ref: string) => (ref === 'bmc' ? { username: 'admin', secret: 'secret' } : undefined);
let h: Harness;
let consoles: ConsoleHub;
let bootLogs: BootConsoleLogs;
let unwatch: (() => void) | undefined;
let sim: IpmiSim;
let serial: SerialPort;
let ipmitoolChild: ChildProcess | undefined;
let viewer: WebSocket | undefined;
let url = '';

const ipmitoolArgs = () => ['-I', 'lanplus', '-C', '3', '-H', sim.endpoints[0].host, '-p', String(sim.endpoints[0].port), '-U', 'admin', '-P', 'secret'];

describeWithPeers(['ipmi_sim', 'ipmitool'], 'console hand-over from the boot log recorder to ipmitool', () => {
  beforeAll(async () => {
    serial = await startSerialPort();
    sim = await startIpmiSim({ sol: serial.device });
    const hw = (machine: string) => h.store.get<Hardware>('Hardware', machine);
    consoles = new ConsoleHub({
      open: async (machine, handlers, takeOver) => openMachineConsole(await hw(machine), credentialOf, handlers, takeOver),
      holderOf: async (machine) => machineConsoleHolder(await hw(machine), credentialOf),
    });
    // A recorder that retries every 200 ms: if the release did not hold, it would take the console back at once.
    bootLogs = new BootConsoleLogs({ hub: consoles, dir: logDir, retryMs: 200 });
    h = await createHarness({ consoles, bootLogs });
    url = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const { host, port } = sim.endpoints[0];
    await h.store.create({ apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name: MACHINE }, spec: { macs: ['52:54:00:00:21:01'], bmc: { protocol: 'ipmi', address: `${host}:${port}`, credentialRef: 'bmc' } } });
    unwatch = await recordProvisioningConsoles(h.store, bootLogs);
  });
  afterAll(async () => {
    viewer?.close();
    ipmitoolChild?.kill();
    await run('ipmitool', [...ipmitoolArgs(), 'sol', 'deactivate'], { timeout: 20_000 }).catch(() => undefined);
    unwatch?.();
    await bootLogs?.close();
    await consoles?.close();
    await h?.close();
    await sim?.stop();
    await serial?.stop();
    rmSync(logDir, { recursive: true, force: true });
  });

  it('ipmitool is refused while the recorder holds SOL, gets the console after one release, and keeps it', async () => {
    const hw = await h.store.get<Hardware>('Hardware', MACHINE);
    await h.store.update({ ...hw, status: { ...hw.status, state: 'Provisioning', currentWorkflow: 'wf-handover' } });
    await until('the recorder to hold the console', async () => (await holding()).recorder.state === 'recording');
    const viewerSaw = await openViewer();
    const before = await holding();
    expect(before).toMatchObject({ heldBy: 'dragonfly', viewers: 1 });
    expect(before.message).toBe(`Dragonfly holds the console of ${MACHINE}: recording the boot log of wf-handover, 1 viewer`);

    const refused = await run('ipmitool', [...ipmitoolArgs(), 'sol', 'activate'], { timeout: 20_000 }).then((r) => r.stdout + r.stderr, (e: { stdout: string; stderr: string }) => e.stdout + e.stderr);
    expect(refused).toMatch(/SOL payload already active on another session/);

    const said = await consoleHolding({ url, token: h.token, machine: MACHINE }, 'release'); // dragonfly console NAME --release
    expect(said).toMatch(new RegExp(`^released; nobody holds the console of ${MACHINE} \\(released by .+ during wf-handover; not recorded further\\)$`));
    expect(await holding()).toMatchObject({ heldBy: 'nobody', viewers: 0, recorder: { state: 'released', boot: 'wf-handover' } });
    await until('the UI viewer to be told', async () => viewerSaw.some((m) => m.type === 'ended' && m.reason === 'released'));

    const tool = ipmitoolConsole();
    await until('ipmitool to hold the console', async () => tool.out().includes('SOL Session operational'));
    serial.print('after the hand-over\r\n');
    await until('the machine\'s output in ipmitool', async () => tool.out().includes('after the hand-over'));
    await new Promise((r) => setTimeout(r, 1000)); // five of the recorder's retry periods
    const after = await holding();
    expect(after).toMatchObject({ heldBy: 'other', holder: { user: 'admin' } });
    expect(after.message).toMatch(new RegExp(`^user 'admin'( from [^ ]+)? holds the console of ${MACHINE} \\(released by .+ during wf-handover; not recorded further\\)$`));
    const log = (await h.app.inject({ url: `/api/v1/machines/${MACHINE}/console-logs/wf-handover`, headers: h.headers })).body;
    expect(log).toMatch(/\[dragonfly: console released to another client by .+; the rest of this boot is not recorded\]/);
    expect(log).not.toContain('after the hand-over');
  }, 90_000);

  it('names an unknown machine instead of guessing who holds its console', async () => {
    const res = await h.app.inject({ url: '/api/v1/machines/no-such-node/console/holder', headers: h.headers });
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toMatch(/no-such-node/);
    await expect(consoleHolding({ url, token: h.token, machine: 'no-such-node' }, 'release')).rejects.toThrow(/no-such-node/);
  });
});

async function holding(): Promise<ConsoleHolding> {
  const res = await h.app.inject({ url: `/api/v1/machines/${MACHINE}/console/holder`, headers: h.headers });
  if (res.statusCode !== 200) throw new Error(`holder: HTTP ${res.statusCode} ${res.body}`);
  return res.json() as ConsoleHolding;
}

/** A second Dragonfly viewer (as the UI opens one); its server messages, collected. */
async function openViewer(): Promise<ConsoleServerMessage[]> {
  const base = url.replace('http', 'ws');
  const messages: ConsoleServerMessage[] = [];
  viewer = new WebSocket(`${base}/api/v1/machines/${MACHINE}/console`, { headers: h.headers });
  viewer.on('message', (d: Buffer, binary: boolean) => binary || messages.push(JSON.parse(String(d)) as ConsoleServerMessage));
  await until('the viewer to attach', async () => messages.some((m) => m.type === 'attached'));
  return messages;
}

/** `ipmitool sol activate` on a pseudo-terminal (it needs one), its output collected. */
function ipmitoolConsole(): { out: () => string } {
  const cmd = ['ipmitool', ...ipmitoolArgs(), 'sol', 'activate'].join(' ');
  ipmitoolChild = spawn('script', ['-qfc', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  ipmitoolChild.stdout!.on('data', (d) => (out += String(d)));
  return { out: () => out };
}

async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
