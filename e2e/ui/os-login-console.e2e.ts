/**
 * Machine detail → Console in Chromium against an installed OS: a QEMU VM (TCG, SeaBIOS, no
 * network card: nothing leaves the host) booting the lab's installed-OS disk (e2e/lab/disk-image)
 * whose seed file says console=login, so it starts a getty on ttyS0 instead of powering off.
 * Its serial port is a TCP server on 127.0.0.1 that ipmi_sim's SOL connects to; QEMU waits for
 * that connection. The operator sees the login prompt, logs in as root and runs a command.
 */
import { expect, test } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unmetNeeds } from '../../core/testing/peer-check.ts';
import { buildLabDisk, seededLabDisk } from '../lab/disk-image/seeded-disk.ts';
import { needPeers, openMachineConsole, screenLines, screenShows, startVmConsoleMachine, type VmConsoleMachine } from './vm-console-machine.ts';

const HOST = 'lab-login';
// build.sh's own tools (grub, mtools, ...) are installed by .ci/apt-packages.sh; mcopy writes the seed.
const unmet = unmetNeeds(['qemu-system-x86_64', 'ipmi_sim', 'mcopy', 'grub-mkimage']);

let vm: VmConsoleMachine | undefined;
let vmDir = '';

test.beforeAll(async () => {
  test.setTimeout(600_000); // the first build of the lab disk fetches a kernel package
  needPeers(unmet, 'installed-OS console', 'a VM booting the lab disk, its console reached through ipmi_sim');
  buildLabDisk();
  vmDir = mkdtempSync(join(tmpdir(), 'df-os-console-'));
  const disk = seededLabDisk(vmDir, { hostname: HOST, console: 'login' });
  vm = await startVmConsoleMachine(['-accel', 'tcg', '-m', '256', '-drive', `file=${disk},format=raw,if=virtio`], '52:54:00:e2:19:03');
});

test.afterAll(async () => {
  await vm?.stop();
  if (vmDir) rmSync(vmDir, { recursive: true, force: true });
});

test('the console of an installed OS shows its login prompt; logged in, a command typed in the browser is answered', async ({ page }) => {
  test.setTimeout(360_000); // GRUB, a kernel and an initramfs under TCG on a shared 2-core machine
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await openMachineConsole(page, vm!);

  // The VM starts when SOL first connects its serial port: GRUB, the kernel, then getty.
  await screenShows(page, (l) => l === `${HOST} login:`, 300_000);
  expect(await screenLines(page)).toContain(`DRAGONFLY-LOCAL-BOOT-OK ${HOST} firmware=bios`);

  await page.getByTestId('console-screen').click();
  await page.keyboard.type('root', { delay: 30 });
  await page.keyboard.press('Enter');
  await screenShows(page, (l) => /^\/root # ?$/.test(l), 60_000); // busybox sh's prompt: logged in
  await page.keyboard.type('echo $((6*7)) from $(hostname)', { delay: 30 });
  await page.keyboard.press('Enter');
  await screenShows(page, (l) => l === `42 from ${HOST}`, 60_000);
  await page.screenshot({ path: new URL('../artifacts/os-login-console.png', import.meta.url).pathname });
  expect(errors).toEqual([]);
});
