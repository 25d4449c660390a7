/**
 * Machine detail → Console in Chromium against an installed OS: a QEMU VM (TCG, SeaBIOS, no
 * network card: nothing leaves the host) booting the lab's installed-OS disk (e2e/lab/disk-image)
 * whose seed file says console=login, so it starts a getty on ttyS0 instead of powering off.
 * Its serial port is a TCP server on 127.0.0.1 that ipmi_sim's SOL connects to; QEMU waits for
 * that connection. The operator sees the login prompt, logs in as root and runs a command.
 */
import { expect, test, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unmetNeeds } from '../../core/testing/peer-check.ts';
import { freeTcpPort, startIpmiSim, type IpmiSim } from '../../core/power/ipmi/testing/ipmi-sim-harness.ts';
import { buildLabDisk, seededLabDisk } from '../lab/disk-image/seeded-disk.ts';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { SimAgent, operatorCall, operatorToken } from './sim-agent.ts';

const HOST = 'lab-login';
// build.sh's own tools (grub, mtools, ...) are installed by .ci/apt-packages.sh; mcopy writes the seed.
const unmet = unmetNeeds(['qemu-system-x86_64', 'ipmi_sim', 'mcopy', 'grub-mkimage']);

let cp: ControlPlane;
let sim: IpmiSim;
let qemu: ChildProcess | undefined;
let vmDir = '';
let agent: SimAgent;

test.beforeAll(async () => {
  test.setTimeout(600_000); // the first build of the lab disk fetches a kernel package
  if (unmet.length && process.env.CI) throw new Error(`CI=true and the installed-OS console suite's peers are missing: ${unmet.join('; ')}`);
  test.skip(unmet.length > 0, `not run: ${unmet.join('; ')} (a VM booting the lab disk, its console reached through ipmi_sim)`);
  buildLabDisk();
  vmDir = mkdtempSync(join(tmpdir(), 'df-os-console-'));
  const disk = seededLabDisk(vmDir, { hostname: HOST, console: 'login' });
  const serialPort = await freeTcpPort();
  qemu = spawn('qemu-system-x86_64', [
    '-accel', 'tcg', '-m', '256', '-display', 'none', '-monitor', 'none', '-nic', 'none', '-no-reboot',
    '-drive', `file=${disk},format=raw,if=virtio`,
    '-serial', `tcp:127.0.0.1:${serialPort},server=on,wait=on`,
  ], { stdio: 'ignore' });
  sim = await startIpmiSim({ sol: `tcp:127.0.0.1:${serialPort}` });
  cp = await startControlPlane();
  const token = await operatorToken(cp.url, cp.password);
  agent = new SimAgent(cp.url, '52:54:00:e2:19:03');
  await agent.register();
  await operatorCall(cp.url, token, 'POST', '/api/v1/credentials', { name: 'os-bmc', username: 'admin', secret: 'secret' });
  const { host, port } = sim.endpoints[0];
  await operatorCall(cp.url, token, 'PATCH', `/api/v1/hardware/${agent.hardware}`, { spec: { bmc: { protocol: 'ipmi', address: `${host}:${port}`, credentialRef: 'os-bmc' } } });
});

test.afterAll(async () => {
  qemu?.kill('SIGKILL');
  await cp?.stop();
  await sim?.stop();
  if (vmDir) rmSync(vmDir, { recursive: true, force: true });
});

/** The screen's lines; xterm draws spaces as U+00A0. */
async function screenLines(page: Page): Promise<string[]> {
  const text = await page.getByTestId('console-screen').locator('.xterm-rows').innerText();
  return text.split('\n').map((l) => l.replace(/\u00a0/g, ' ').trimEnd());
}

const seen = (page: Page, match: (line: string) => boolean, timeout: number) =>
  expect.poll(async () => (await screenLines(page)).some(match), { timeout, intervals: [1000] }).toBe(true);

test('the console of an installed OS shows its login prompt; logged in, a command typed in the browser is answered', async ({ page }) => {
  test.setTimeout(360_000); // GRUB, a kernel and an initramfs under TCG on a shared 2-core machine
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(cp.url);
  await page.getByLabel('Password', { exact: true }).fill(cp.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator(`.machine-row[data-machine="${agent.hardware}"]`).getByRole('button', { name: agent.displayName }).click();
  const detail = page.getByRole('dialog');
  await detail.getByRole('button', { name: 'Open console' }).click();
  await expect(detail.getByText('Connected', { exact: true })).toBeVisible();

  // The VM starts when SOL first connects its serial port: GRUB, the kernel, then getty.
  await seen(page, (l) => l === `${HOST} login:`, 300_000);
  expect(await screenLines(page)).toContain(`DRAGONFLY-LOCAL-BOOT-OK ${HOST} firmware=bios`);

  await page.getByTestId('console-screen').click();
  await page.keyboard.type('root', { delay: 30 });
  await page.keyboard.press('Enter');
  await seen(page, (l) => /^\/root # ?$/.test(l), 60_000); // busybox sh's prompt: logged in
  await page.keyboard.type('echo $((6*7)) from $(hostname)', { delay: 30 });
  await page.keyboard.press('Enter');
  await seen(page, (l) => l === `42 from ${HOST}`, 60_000);
  await page.screenshot({ path: new URL('../artifacts/os-login-console.png', import.meta.url).pathname });
  expect(errors).toEqual([]);
});
