/**
 * A real machine for the console tests in Chromium: a QEMU VM (TCG, no network card: nothing
 * leaves the host) whose serial port is a TCP server on 127.0.0.1 that OpenIPMI's ipmi_sim SOL
 * connects to, and a control plane that knows it as a registered machine with that BMC. QEMU
 * waits for the SOL connection before it runs, so nothing the machine prints is missed.
 */
import { expect, test, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { freeTcpPort, startIpmiSim, type IpmiSim } from '../../core/power/ipmi/testing/ipmi-sim-harness.ts';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { SimAgent, operatorCall, operatorToken } from './sim-agent.ts';

/**
 * For a VM console suite's beforeAll: with a peer missing it is a failure under CI=true (never
 * a skip there, as core/testing/peers.ts says), elsewhere a skip that names what is missing.
 */
export function needPeers(unmet: string[], suite: string, what: string): void {
  if (unmet.length && process.env.CI) throw new Error(`CI=true and the ${suite} suite's peers are missing: ${unmet.join('; ')}`);
  test.skip(unmet.length > 0, `not run: ${unmet.join('; ')} (${what})`);
}

export interface VmConsoleMachine {
  cp: ControlPlane;
  agent: SimAgent;
  stop(): Promise<void>;
}

/** Starts QEMU with `qemuArgs` (firmware, disks), its BMC and a control plane that has it as machine `mac`. */
export async function startVmConsoleMachine(qemuArgs: string[], mac: string): Promise<VmConsoleMachine> {
  const serialPort = await freeTcpPort();
  const qemu: ChildProcess = spawn('qemu-system-x86_64', [
    '-display', 'none', '-monitor', 'none', '-nic', 'none', '-no-reboot', ...qemuArgs,
    '-serial', `tcp:127.0.0.1:${serialPort},server=on,wait=on`,
  ], { stdio: 'ignore' });
  let sim: IpmiSim | undefined;
  let cp: ControlPlane | undefined;
  const stop = async () => {
    qemu.kill('SIGKILL');
    await cp?.stop();
    await sim?.stop();
  };
  try {
    sim = await startIpmiSim({ sol: `tcp:127.0.0.1:${serialPort}` });
    cp = await startControlPlane();
    const token = await operatorToken(cp.url, cp.password);
    const agent = new SimAgent(cp.url, mac);
    await agent.register();
    await operatorCall(cp.url, token, 'POST', '/api/v1/credentials', { name: 'vm-bmc', username: 'admin', secret: 'secret' });
    const { host, port } = sim.endpoints[0];
    await operatorCall(cp.url, token, 'PATCH', `/api/v1/hardware/${agent.hardware}`, { spec: { bmc: { protocol: 'ipmi', address: `${host}:${port}`, credentialRef: 'vm-bmc' } } });
    return { cp, agent, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Signs in and opens machine detail → Console of the machine; resolves when it says Connected. */
export async function openMachineConsole(page: Page, m: VmConsoleMachine): Promise<void> {
  await page.goto(m.cp.url);
  await page.getByLabel('Password', { exact: true }).fill(m.cp.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator(`.machine-row[data-machine="${m.agent.hardware}"]`).getByRole('button', { name: m.agent.displayName }).click();
  const detail = page.getByRole('dialog');
  await detail.getByRole('button', { name: 'Open console' }).click();
  await expect(detail.getByText('Connected', { exact: true })).toBeVisible();
}

/** The screen's lines; xterm draws spaces as U+00A0. */
export async function screenLines(page: Page): Promise<string[]> {
  const text = await page.getByTestId('console-screen').locator('.xterm-rows').innerText();
  return text.split('\n').map((l) => l.replace(/\u00a0/g, ' ').trimEnd());
}

/** Waits until a line of the screen matches. */
export const screenShows = (page: Page, match: (line: string) => boolean, timeout: number) =>
  expect.poll(async () => (await screenLines(page)).some(match), { timeout, intervals: [1000] }).toBe(true);
