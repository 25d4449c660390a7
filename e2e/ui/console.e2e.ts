/**
 * Machine detail → Console in Chromium: the real control plane, whose machine's BMC is
 * OpenIPMI's ipmi_sim on 127.0.0.1 with SOL wired to a loopback TCP "serial port" running a
 * tiny shell; ipmitool is the other client that holds or takes the console.
 */
import { expect, test, type Page } from '@playwright/test';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { startIpmiSim, type IpmiSim } from '../../core/power/ipmi/testing/ipmi-sim-harness.ts';
import { startSerialPort, type SerialPort } from '../../core/power/ipmi/testing/serial-port-harness.ts';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { SimAgent, demoTemplate, operatorCall, operatorToken } from './sim-agent.ts';

const run = promisify(execFile);
let cp: ControlPlane;
let sim: IpmiSim;
let serial: SerialPort;
let agent: SimAgent;
let token: string;
const children: ChildProcess[] = [];

test.beforeAll(async () => {
  serial = await startSerialPort();
  sim = await startIpmiSim({ sol: serial.device });
  cp = await startControlPlane();
  token = await operatorToken(cp.url, cp.password);
  await operatorCall(cp.url, token, 'POST', '/api/v1/apply', demoTemplate, 'application/yaml');
  agent = new SimAgent(cp.url, '52:54:00:e2:19:01');
  await agent.register();
  await operatorCall(cp.url, token, 'POST', '/api/v1/credentials', { name: 'bmc-e2e', username: 'admin', secret: 'secret' });
  const { host, port } = sim.endpoints[0];
  await operatorCall(cp.url, token, 'PATCH', `/api/v1/hardware/${agent.hardware}`, { spec: { bmc: { protocol: 'ipmi', address: `${host}:${port}`, credentialRef: 'bmc-e2e' } } });
});

test.afterAll(async () => {
  for (const c of children) c.kill();
  await cp?.stop();
  await sim?.stop();
  await serial?.stop();
});

const ipmitoolArgs = () => ['-I', 'lanplus', '-C', '3', '-H', sim.endpoints[0].host, '-p', String(sim.endpoints[0].port), '-U', 'admin', '-P', 'secret'];

/** `ipmitool sol activate` on a pseudo-terminal (it needs one); resolves once it holds the console. */
async function ipmitoolHolds(): Promise<void> {
  const child = spawn('script', ['-qfc', ['ipmitool', ...ipmitoolArgs(), 'sol', 'activate'].join(' '), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  await expect.poll(() => out, { timeout: 20_000 }).toContain('SOL Session operational');
}

const screen = (page: Page) => page.getByTestId('console-screen').locator('.xterm-rows');
/** Screen lines that are exactly `text` (the shell's answer, not the echoed command). xterm draws spaces as U+00A0. */
async function screenLines(page: Page): Promise<string[]> {
  return (await screen(page).innerText()).split('\n').map((l) => l.replace(/\u00a0/g, ' ').trimEnd());
}
const answered = (page: Page, text: string) => expect.poll(async () => (await screenLines(page)).filter((l) => l === text).length).toBe(1);

async function typeCommand(page: Page, command: string): Promise<void> {
  await page.getByTestId('console-screen').click();
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
}

test('open a machine\'s console, type a command, read the answer; hand-over with ipmitool', async ({ page, context }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);

  await test.step('sign in and open the machine detail', async () => {
    await page.goto(cp.url);
    await page.getByLabel('Password', { exact: true }).fill(cp.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator(`.machine-row[data-machine="${agent.hardware}"]`).getByRole('button', { name: agent.displayName }).click();
  });

  await test.step('Console: type a command and read its answer', async () => {
    const detail = page.getByRole('dialog');
    await detail.getByRole('button', { name: 'Open console' }).click();
    await expect(detail.getByText('Connected', { exact: true })).toBeVisible();
    await typeCommand(page, 'echo hello from chromium');
    await answered(page, 'hello from chromium');
    expect(serial.received()).toContain('echo hello from chromium\r');
    await page.screenshot({ path: new URL('../artifacts/console.png', import.meta.url).pathname });
  });

  await test.step('paste from the clipboard, copy the selection', async () => {
    await page.evaluate('navigator.clipboard.writeText("echo pasted text")');
    await page.getByRole('button', { name: 'Paste' }).click();
    // Paste reads the clipboard asynchronously: press Enter only once the pasted line is echoed.
    await expect.poll(async () => (await screenLines(page)).some((l) => l.endsWith('echo pasted text'))).toBe(true);
    await page.getByTestId('console-screen').click(); // the button has the focus: Enter there would paste again
    await page.keyboard.press('Enter');
    await answered(page, 'pasted text');
    await page.getByTestId('console-screen').click({ clickCount: 3, position: { x: 40, y: 8 } }); // select the first line
    await page.getByRole('button', { name: 'Copy' }).click();
    expect(await page.evaluate('navigator.clipboard.readText()')).toMatch(/echo hello from chromium/);
  });

  await test.step('ipmitool takes the console: a banner says so', async () => {
    await run('ipmitool', [...ipmitoolArgs(), 'sol', 'deactivate']);
    await ipmitoolHolds();
    await expect(page.getByRole('alert')).toContainText(/console was taken by user 'admin'/);
  });

  await test.step('reconnect while ipmitool holds it: told who, then take it over', async () => {
    await page.getByRole('button', { name: 'Reconnect' }).click();
    await expect(page.getByRole('alert')).toContainText(/held by user 'admin'/);
    await page.getByRole('button', { name: 'Take over' }).click();
    await expect(page.getByText('Connected', { exact: true })).toBeVisible();
    await typeCommand(page, 'echo taken back');
    await answered(page, 'taken back');
  });

  await test.step('assigned an OS, the machine\'s boot console is recorded and shown beside the timeline', async () => {
    await operatorCall(cp.url, token, 'POST', '/api/v1/assign', { template: 'debian-12', machines: [agent.hardware] });
    const detail = page.getByRole('dialog');
    const logs = detail.getByRole('list', { name: 'Boot console logs' });
    // The machine prints as it boots; the list shows the workflow's log once something was recorded.
    await expect.poll(async () => {
      serial.print('dragonfly-agent: writing image to /dev/vda\r\n');
      await detail.getByRole('button', { name: 'Refresh' }).click();
      return logs.count();
    }, { timeout: 30_000 }).toBe(1);
    await logs.getByRole('button').first().click();
    await expect(detail.locator('pre.boot-log-text')).toContainText('dragonfly-agent: writing image to /dev/vda');
    await expect(detail.locator('pre.boot-log-text')).not.toContainText('taken back'); // before this boot
    await page.screenshot({ path: new URL('../artifacts/console-boot-log.png', import.meta.url).pathname });
  });

  await test.step('the recorder holds the console, so ipmitool is refused; released in the UI, ipmitool gets it', async () => {
    const detail = page.getByRole('dialog');
    const holder = detail.getByTestId('console-holder');
    await detail.getByRole('button', { name: 'Who holds the console?' }).click();
    await expect(holder).toHaveText(/^Dragonfly holds the console of .+: recording the boot log of .+, 1 viewer$/);
    const refused = await run('ipmitool', [...ipmitoolArgs(), 'sol', 'activate'], { timeout: 20_000 }).then((r) => r.stdout + r.stderr, (e: { stdout: string; stderr: string }) => e.stdout + e.stderr);
    expect(refused).toMatch(/SOL payload already active on another session/);
    await detail.getByRole('button', { name: 'Release to another client' }).click();
    await expect(holder).toHaveText(/^nobody holds the console of .+ \(released by .+; not recorded further\)$/);
    await expect(page.getByRole('alert')).toContainText(/released the console for another client/);
    await ipmitoolHolds();
    await detail.getByRole('button', { name: 'Who holds the console?' }).click();
    await expect(holder).toHaveText(/^user 'admin' holds the console of /);
    await page.screenshot({ path: new URL('../artifacts/console-released.png', import.meta.url).pathname });
  });

  expect(errors).toEqual([]);
});
