/**
 * SOL from a real machine: a QEMU VM (TCG, no network card: nothing leaves the host) whose
 * serial port is a TCP server on 127.0.0.1 that ipmi_sim's SOL connects to, booting the
 * Dragonfly agent image with console=ttyS0. QEMU waits for that connection before it runs,
 * so the console sees the boot from its first line: the kernel banner, then the agent's own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeWithPeers } from '../../testing/peers.ts';
import { freeTcpPort, startIpmiSim, type IpmiSim } from './testing/ipmi-sim-harness.ts';
import { openSolConsole, type SolConsole } from './sol.ts';

const image = join(import.meta.dirname, '..', '..', '..', 'dist', 'agent-image');
const built = { ok: existsSync(join(image, 'vmlinuz')) && existsSync(join(image, 'initramfs.img')), why: `no agent image at ${image}: npm run build:agent-image` };

let qemu: ChildProcess | undefined;
let sim: IpmiSim | undefined;
let sol: SolConsole | undefined;
afterAll(async () => {
  await sol?.close();
  qemu?.kill('SIGKILL');
  await sim?.stop();
});

// Run by npm run test:agent-image (after the image is built), not by npm test.
describeWithPeers(['qemu-system-x86_64', 'ipmi_sim', built], 'SOL console of a QEMU VM', () => {
  it('shows the kernel banner and the agent\'s lines through ipmi_sim', async () => {
    const serialPort = await freeTcpPort();
    qemu = spawn('qemu-system-x86_64', [
      '-M', 'q35', '-m', '768', '-display', 'none', '-monitor', 'none', '-nic', 'none', '-no-reboot',
      '-serial', `tcp:127.0.0.1:${serialPort},server=on,wait=on`,
      '-kernel', join(image, 'vmlinuz'), '-initrd', join(image, 'initramfs.img'),
      // The agent has no network here; its URL is a closed loopback port.
      '-append', 'console=ttyS0,115200n8 no_timer_check dragonfly.url=http://127.0.0.1:9 dragonfly.mac=52:54:00:19:19:19 dragonfly.mode=discovery',
    ], { stdio: 'ignore' });
    sim = await startIpmiSim({ sol: `tcp:127.0.0.1:${serialPort}` });
    let screen = '';
    sol = await openSolConsole({
      host: sim.endpoints[0].host, port: sim.endpoints[0].port, username: 'admin', password: 'secret',
      onData: (b) => (screen += Buffer.from(b).toString('latin1')), onEnd: () => {},
    });
    const end = Date.now() + 240_000; // TCG on a shared 2-core machine
    while (!screen.includes('dragonfly-init: agent image') && Date.now() < end) await new Promise((r) => setTimeout(r, 250));
    expect(screen).toMatch(/^\[\s+0\.000000\] Linux version 6\./); // from the very first line
    expect(screen).toContain('dragonfly-init: agent image');
  }, 300_000);
});
