/**
 * The lab's serial relay keeps one SOL session alive across power cycles: ipmi_sim's `sol`
 * connects to it once, each new QEMU (SeaBIOS, no disk, no network card) connects as a client,
 * exactly as ipmi-machine.ts starts it. Read through Dragonfly's native SOL client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeWithPeers } from '../../../core/testing/peers.ts';
import { freeTcpPort, startIpmiSim, type IpmiSim } from '../../../core/power/ipmi/testing/ipmi-sim-harness.ts';
import { openSolConsole, type SolConsole } from '../../../core/power/ipmi/sol.ts';
import { startSerialRelay, type SerialRelay } from './serial-relay.ts';

const dir = mkdtempSync(join(tmpdir(), 'dfi-relay-'));
let relay: SerialRelay | undefined;
let sim: IpmiSim | undefined;
let sol: SolConsole | undefined;
let qemu: ChildProcess | undefined;
afterAll(async () => {
  await sol?.close();
  qemu?.kill('SIGKILL');
  await sim?.stop();
  await relay?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One power-on: a QEMU whose serial port is a client of the relay, logging to serial.log. */
function powerOn(port: number): ChildProcess {
  const log = join(dir, 'serial.log');
  return spawn('qemu-system-x86_64', [
    '-accel', 'tcg', '-m', '128', '-nographic', '-no-reboot', '-monitor', 'none', '-nic', 'none',
    '-chardev', `socket,id=ser,host=127.0.0.1,port=${port},logfile=${log},logappend=on`, '-serial', 'chardev:ser',
  ], { stdio: 'ignore' });
}

async function powerOff(child: ChildProcess): Promise<void> {
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await gone;
}

async function until(what: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !what() && Date.now() < end;) await new Promise((r) => setTimeout(r, 100));
}

const count = (text: string, word: string) => text.split(word).length - 1;

describeWithPeers(['qemu-system-x86_64', 'ipmi_sim'], 'lab serial relay', () => {
  it('one SOL session sees the firmware of two power-ons, and typed bytes reach the running machine', async () => {
    const [bmcPort, machinePort] = [await freeTcpPort(), await freeTcpPort()];
    let typed = '';
    relay = await startSerialRelay({ bmcPort, machinePort, onTyped: (d) => (typed += d.toString('latin1')) });
    sim = await startIpmiSim({ sol: `tcp:127.0.0.1:${bmcPort}` });
    let screen = '';
    let ended = '';
    sol = await openSolConsole({
      host: sim.endpoints[0].host, port: sim.endpoints[0].port, username: 'admin', password: 'secret',
      onData: (b) => (screen += Buffer.from(b).toString('latin1')), onEnd: (e) => (ended = e.reason),
    });
    qemu = powerOn(machinePort);
    await until(() => screen.includes('SeaBIOS (version'), 60_000);
    expect(screen).toContain('SeaBIOS (version');
    sol.write(new TextEncoder().encode('typed-1'));
    await until(() => typed.includes('typed-1'), 10_000);
    expect(typed).toBe('typed-1');
    await powerOff(qemu);
    qemu = powerOn(machinePort); // the next power-on: a new QEMU, the same SOL session
    await until(() => count(screen, 'SeaBIOS (version') >= 2, 60_000);
    expect(count(screen, 'SeaBIOS (version')).toBe(2);
    expect(ended).toBe('');
    // QEMU's chardev log keeps the same output as before the relay existed (the lab's serial.log).
    expect(count(readFileSync(join(dir, 'serial.log'), 'latin1'), 'SeaBIOS (version')).toBe(2);
  }, 180_000);
});
