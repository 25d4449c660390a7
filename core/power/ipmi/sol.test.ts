/**
 * Native SOL against the real OpenIPMI ipmi_sim on 127.0.0.1, whose `sol` device is a TCP
 * server on loopback acting as the machine's serial port (a tiny shell), with ipmitool as
 * the second client that holds or takes the console.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isDragonflyError } from '../../shared/errors.ts';
import { startIpmiSim, type IpmiSim } from './testing/ipmi-sim-harness.ts';
import { startSerialPort, type SerialPort } from './testing/serial-port-harness.ts';
import { openSolConsole, type SolConsole, type SolConsoleOptions, type SolEnd } from './sol.ts';

const run = promisify(execFile);
let serial: SerialPort;
let sim: IpmiSim;
const consoles: SolConsole[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  serial = await startSerialPort();
  sim = await startIpmiSim({ sol: serial.device });
});
afterEach(async () => {
  for (const c of consoles.splice(0)) await c.close();
  for (const c of children.splice(0)) c.kill();
  await ipmitool('sol', 'deactivate').catch(() => undefined);
});
afterAll(async () => {
  await sim?.stop();
  await serial?.stop();
});

const ipmitoolArgs = () => ['-I', 'lanplus', '-C', '3', '-H', sim.endpoints[0].host, '-p', String(sim.endpoints[0].port), '-U', 'admin', '-P', 'secret'];
const ipmitool = (...args: string[]) => run('ipmitool', [...ipmitoolArgs(), ...args], { timeout: 20_000 });

/** Polls until `check` holds (no fixed sleeps: the machine is shared and slow). */
async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function open(extra: Partial<SolConsoleOptions> = {}) {
  const seen = { out: '', ends: [] as SolEnd[] };
  const c = await openSolConsole({
    host: sim.endpoints[0].host, port: sim.endpoints[0].port, username: 'admin', password: 'secret', timeoutMs: 1000, watchMs: 500,
    onData: (b) => (seen.out += Buffer.from(b).toString('latin1')),
    onEnd: (e) => seen.ends.push(e),
    ...extra,
  });
  consoles.push(c);
  return { c, seen };
}

/** `ipmitool sol activate` on a pseudo-terminal (it needs one), output collected. */
function ipmitoolConsole() {
  const cmd = ['ipmitool', ...ipmitoolArgs(), 'sol', 'activate'].join(' ');
  const child = spawn('script', ['-qfc', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  const seen = { out: '' };
  child.stdout!.on('data', (d) => (seen.out += String(d)));
  return { child, seen };
}

describe('SOL console through ipmi_sim', () => {
  it('types a command on the serial console and reads its answer', async () => {
    const { c, seen } = await open();
    await serial.connected();
    c.write(new TextEncoder().encode('echo sol works\r'));
    await until('the answer', () => seen.out.includes('sol works\r\n$ '));
    expect(seen.out).toContain('echo sol works'); // the shell's echo of what was typed
    expect(serial.received()).toContain('echo sol works\r');
  });

  it('shows what the machine prints without being asked (boot messages)', async () => {
    const { seen } = await open();
    await serial.connected();
    serial.print('Booting Dragonfly agent...\r\n');
    await until('the boot line', () => seen.out.includes('Booting Dragonfly agent...'));
  });

  it('a console opened after another one closed loses no typed character', async () => {
    for (const word of ['first', 'second']) {
      const { c, seen } = await open();
      await serial.connected();
      c.write(new TextEncoder().encode(`echo ${word}\r`));
      await until(`the answer to ${word}`, () => seen.out.includes(`echo ${word}\r\n${word}\r\n`));
      await c.close();
    }
  });

  it('carries a long paste intact, in order, across many packets', async () => {
    const { c, seen } = await open();
    await serial.connected();
    const words = Array.from({ length: 120 }, (_, i) => `w${i}`).join(' ');
    c.write(new TextEncoder().encode(`echo ${words}\r`));
    await until('the long answer', () => seen.out.includes(`\r\n${words}\r\n`), 60_000);
  });

  it('says who holds the console when ipmitool has it, and takes it over when asked', async () => {
    const it1 = ipmitoolConsole();
    await until('ipmitool to hold the console', () => it1.seen.out.includes('SOL Session operational'));
    const refused = await open().then(() => undefined, (e: unknown) => e);
    expect(isDragonflyError(refused, 'DF_ERR_CONFLICT')).toBe(true);
    expect(String((refused as Error).message)).toMatch(/held by user 'admin'/);
    const { c, seen } = await open({ takeOver: true });
    c.write(new TextEncoder().encode('echo mine now\r'));
    await until('the answer after take-over', () => seen.out.includes('mine now\r\n'));
  });

  it('tells ipmitool the console is busy while Dragonfly holds it', async () => {
    await open();
    const res = await ipmitool('sol', 'activate').then((r) => r.stdout + r.stderr, (e: { stdout: string; stderr: string }) => e.stdout + e.stderr);
    expect(res).toMatch(/SOL payload already active on another session/);
  });

  it('reports the hand-over when ipmitool takes the console from Dragonfly', async () => {
    const { seen } = await open();
    await ipmitool('sol', 'deactivate');
    const it2 = ipmitoolConsole();
    await until('ipmitool to hold the console', () => it2.seen.out.includes('SOL Session operational'));
    await until('Dragonfly to notice', () => seen.ends.length > 0);
    expect(seen.ends[0].reason).toBe('taken');
  });

  it('says the BMC dropped the console when the BMC goes away', async () => {
    const port2 = await startSerialPort();
    const sim2 = await startIpmiSim({ sol: port2.device });
    try {
      const seen = { ends: [] as SolEnd[] };
      const c = await openSolConsole({
        host: sim2.endpoints[0].host, port: sim2.endpoints[0].port, username: 'admin', password: 'secret', timeoutMs: 300, retries: 1, watchMs: 300,
        onData: () => {}, onEnd: (e) => seen.ends.push(e),
      });
      consoles.push(c);
      await sim2.stop();
      await until('the drop to be noticed', () => seen.ends.length > 0);
      expect(seen.ends[0]).toMatchObject({ reason: expect.stringMatching(/^bmc-(lost|silent)$/), message: expect.stringMatching(/BMC 127\.0\.0\.1:\d+/) });
    } finally {
      await sim2.stop();
      await port2.stop();
    }
  });
});
