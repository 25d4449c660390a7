/**
 * Machine detail → Console in Chromium against a real machine: a QEMU VM (TCG, no network card:
 * nothing leaves the host) with Debian's OVMF firmware and no OS, whose serial port is a TCP
 * server on 127.0.0.1 that OpenIPMI's ipmi_sim SOL connects to. QEMU waits for that connection,
 * so nothing the firmware prints is missed: with no OS it falls back to its UEFI shell, whose
 * banner names the firmware; a command typed in the browser is answered by that shell.
 */
import { expect, test } from '@playwright/test';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unmetNeeds } from '../../core/testing/peer-check.ts';
import { needPeers, openMachineConsole, screenLines, screenShows, startVmConsoleMachine, type VmConsoleMachine } from './vm-console-machine.ts';

const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
const unmet = unmetNeeds(['qemu-system-x86_64', 'ipmi_sim', { ok: existsSync(OVMF_CODE) && existsSync(OVMF_VARS), why: `no OVMF at ${OVMF_CODE}: apt-get install ovmf` }]);

let vm: VmConsoleMachine | undefined;
let vmDir = '';

test.beforeAll(async () => {
  needPeers(unmet, 'VM console', 'a VM whose serial console is reached through ipmi_sim');
  vmDir = mkdtempSync(join(tmpdir(), 'df-vm-console-'));
  copyFileSync(OVMF_VARS, join(vmDir, 'vars.fd')); // the firmware writes its variables
  vm = await startVmConsoleMachine([
    '-M', 'q35', '-m', '256',
    '-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`,
    '-drive', `if=pflash,format=raw,unit=1,file=${join(vmDir, 'vars.fd')}`,
  ], '52:54:00:e2:19:02');
});

test.afterAll(async () => {
  await vm?.stop();
  if (vmDir) rmSync(vmDir, { recursive: true, force: true });
});

test('the console of a VM shows its firmware\'s banner and its shell answers a command typed in the browser', async ({ page }) => {
  test.setTimeout(360_000); // OVMF under TCG on a shared 2-core machine
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await openMachineConsole(page, vm!);

  // The VM starts when SOL first connects its serial port. With no OS, the firmware's boot manager
  // falls back to its UEFI shell, which clears the screen and prints the firmware's banner.
  await screenShows(page, (l) => l.startsWith('Shell>'), 300_000);
  const lines = await screenLines(page);
  expect(lines).toContain('UEFI Interactive Shell v2.2');
  expect(lines.some((l) => /^UEFI v2\.\d+ \(EDK II, 0x[0-9A-F]+\)$/.test(l))).toBe(true);

  await page.getByTestId('console-screen').click();
  await page.keyboard.type('echo typed in chromium', { delay: 30 });
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await screenLines(page)).filter((l) => l === 'typed in chromium').length, { timeout: 60_000 }).toBe(1);
  await page.screenshot({ path: new URL('../artifacts/vm-console.png', import.meta.url).pathname });
  expect(errors).toEqual([]);
});
