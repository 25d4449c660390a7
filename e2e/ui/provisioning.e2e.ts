import { expect, test, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { SimAgent, demoTemplate, operatorCall, operatorToken } from './sim-agent.ts';

const artifacts = new URL('../artifacts/', import.meta.url).pathname;
mkdirSync(artifacts, { recursive: true });

let cp: ControlPlane;
let token: string;
const agents: SimAgent[] = [];

test.beforeAll(async () => {
  cp = await startControlPlane();
  token = await operatorToken(cp.url, cp.password);
  await operatorCall(cp.url, token, 'POST', '/api/v1/apply', demoTemplate, 'application/yaml');
  for (let i = 1; i <= 3; i++) {
    const a = new SimAgent(cp.url, `52:54:00:e2:00:0${i}`);
    await a.register({ cores: 8 * i, memoryGiB: 32 * i, diskGiB: i === 2 ? [480] : [480, 1920] });
    agents.push(a);
  }
});

test.afterAll(async () => {
  await cp?.stop();
});

const row = (page: Page, name: string) => page.locator(`.machine-row[data-machine="${name}"]`);
const tab = (page: Page, name: string) => page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name });
const shot = (page: Page, name: string) => page.screenshot({ path: `${artifacts}${name}.png` });

async function progressOf(page: Page, name: string): Promise<number> {
  const v = await row(page, name).getByRole('progressbar').getAttribute('aria-valuenow');
  return Number(v ?? 0);
}

test('sign in, drag a template onto three machines, watch them provision to Ready', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const names = agents.map((a) => a.hardware).sort();

  await test.step('sign in with the one-time admin password', async () => {
    await page.goto(cp.url);
    await expect(page.getByRole('heading', { name: 'Dragonfly' })).toBeVisible();
    await shot(page, 'login');
    await page.getByLabel('Password', { exact: true }).fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toHaveText('Wrong user name or password.');
    await page.getByLabel('Password', { exact: true }).fill(cp.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  });

  await test.step('the three registered machines are listed with their hardware', async () => {
    for (const n of names) await expect(row(page, n)).toBeVisible();
    await expect(row(page, agents[2].hardware)).toContainText('24 cores');
    await expect(row(page, agents[0].hardware)).toContainText(agents[0].displayName);
    await expect(page.getByText('Live updates on')).toBeVisible();
    await shot(page, 'machines-table');
  });

  await test.step('search narrows the list by MAC', async () => {
    await page.getByLabel('Search machines').fill('e2:00:02');
    await expect(page.locator('.machine-row[data-machine]')).toHaveCount(1);
    await page.getByLabel('Search machines').fill('');
    await expect(page.locator('.machine-row[data-machine]')).toHaveCount(3);
  });

  await test.step('the keyboard alone can move, select and extend', async () => {
    const grid = page.getByRole('grid', { name: 'Machines' });
    await grid.focus();
    await page.keyboard.press('Home');
    await page.keyboard.press(' ');
    await expect(page.getByText('1 selected', { exact: true })).toBeVisible();
    await page.keyboard.press('Shift+ArrowDown');
    await expect(page.getByText('2 selected', { exact: true })).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(page.getByText('None selected', { exact: true })).toBeVisible();
  });

  await test.step('click and shift-click select all three', async () => {
    await row(page, names[0]).locator('.cell-macs').click();
    await row(page, names[2]).locator('.cell-macs').click({ modifiers: ['Shift'] });
    await expect(page.getByText('3 selected', { exact: true })).toBeVisible();
    for (const n of names) await expect(row(page, n)).toHaveAttribute('aria-selected', 'true');
  });

  await test.step('dragging the template onto the selection asks for confirmation, listing the machines', async () => {
    await page.locator('.template-chip[data-template="debian-12"]').dragTo(row(page, names[1]));
    const dialog = page.getByRole('dialog', { name: /Assign debian-12 to 3 machines/ });
    await expect(dialog).toBeVisible();
    for (const a of agents) await expect(dialog.getByRole('list', { name: 'Machines to assign' })).toContainText(a.displayName);
    await expect(dialog.getByText(/Reimage/)).toHaveCount(0);
    await shot(page, 'assign-dialog');
    await dialog.getByRole('button', { name: 'Assign to 3 machines' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByText('debian-12 assigned')).toBeVisible();
  });

  const workflows: string[] = [];
  await test.step('workflows appear and the machines show Assigned', async () => {
    for (const a of agents) {
      const hb = await a.heartbeat();
      expect(hb.next.action).toBe('run');
      workflows.push(hb.next.workflow!);
      await expect(row(page, a.hardware).getByText('Assigned')).toBeVisible();
    }
  });

  await test.step('progress bars move as the agents report progress', async () => {
    const total = 4_000_000_000;
    for (const [i, a] of agents.entries()) await a.report(workflows[i], { action: 0, phase: 'Running', bytesDone: 0, bytesTotal: total });
    for (const a of agents) await expect(row(page, a.hardware).getByText('Provisioning')).toBeVisible();
    for (const [i, a] of agents.entries()) await a.report(workflows[i], { action: 0, phase: 'Running', bytesDone: total * 0.3 * (i + 1), bytesTotal: total });
    await expect.poll(() => progressOf(page, agents[2].hardware)).toBeGreaterThan(25);
    const before = await progressOf(page, agents[0].hardware);
    expect(before).toBeGreaterThan(0);
    await agents[0].report(workflows[0], { action: 0, phase: 'Running', bytesDone: total * 0.9, bytesTotal: total });
    await expect.poll(() => progressOf(page, agents[0].hardware)).toBeGreaterThan(before);
    await shot(page, 'machines-table-progress');
  });

  await test.step('the provisioning view shows per-action steps and the boot timeline', async () => {
    await tab(page, 'Provisioning').click();
    const card = page.getByRole('article', { name: new RegExp(agents[0].displayName) });
    await expect(card.getByRole('list', { name: 'Actions' })).toContainText('write-image');
    await expect(card.locator('.step-running')).toContainText('3.4 GiB of 3.7 GiB');
    await card.getByText(/Boot timeline/).click();
    await expect(card.getByRole('list', { name: 'Boot timeline' })).toContainText('Agent started');
    await shot(page, 'provisioning');
  });

  await test.step('a failure is shown with the action and the reason, and Retry resumes it', async () => {
    await agents[1].report(workflows[1], { action: 0, phase: 'Failed', message: 'checksum mismatch: image is corrupt' });
    const card = page.getByRole('article', { name: new RegExp(agents[1].displayName) });
    await expect(card.getByRole('alert')).toContainText('at action write-image');
    await expect(card.getByRole('alert')).toContainText('checksum mismatch: image is corrupt');
    await shot(page, 'provisioning-failed');
    await card.getByRole('button', { name: 'Retry from write-image' }).click();
    await expect(card.getByRole('alert')).toHaveCount(0);
  });

  await test.step('machines reach Ready and a notification toast appears', async () => {
    // The retried machine's run changed: its agent hears it, and gets the token for it, at its next heartbeat.
    for (const a of agents) await a.heartbeat();
    for (const [i, a] of agents.entries()) for (let k = 0; k < 3; k++) await a.report(workflows[i], { action: k, phase: 'Succeeded' });
    await tab(page, 'Machines').click();
    for (const a of agents) await expect(row(page, a.hardware).getByText('Ready')).toBeVisible();
    // Three at once fold into one toast rather than three.
    await expect(page.getByRole('list', { name: 'Notifications' })).toContainText('3 machines are Ready');
    await shot(page, 'machines-ready-toast');
  });

  await test.step('a Ready machine is only reimaged after the explicit second checkbox', async () => {
    await row(page, names[0]).locator('.cell-macs').click();
    await page.getByRole('button', { name: 'Assign…' }).click();
    const dialog = page.getByRole('dialog', { name: /Assign debian-12 to 1 machine/ });
    const confirm = dialog.getByRole('button', { name: 'Assign to 1 machine' });
    await expect(confirm).toBeDisabled();
    await dialog.getByLabel('Reimage 1 provisioned machine (erases their disks)').check();
    await expect(confirm).toBeEnabled();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
  });

  await test.step('cards layout and machine detail', async () => {
    await page.getByRole('button', { name: 'Cards' }).click();
    await expect(page.locator('.machine-card')).toHaveCount(3);
    await shot(page, 'machines-cards');
    await page.getByRole('button', { name: 'Table' }).click();
    await row(page, names[2]).getByRole('button', { name: agents.find((a) => a.hardware === names[2])!.displayName }).click();
    const detail = page.getByRole('dialog');
    await expect(detail.getByRole('table', { name: 'Disks' })).toContainText('/dev/nvme0n1');
    await expect(detail.getByText('on (enforcing)')).toBeVisible(); // the agent's secureBoot fact
    await expect(detail.getByText('No BMC configured')).toBeVisible();
    await detail.getByLabel('Tags, separated by commas or spaces').fill('rack-a12, gpu');
    await detail.getByRole('button', { name: 'Save tags' }).click();
    await expect(row(page, names[2]).getByText('rack-a12')).toBeVisible();
    await shot(page, 'machine-detail');
    await page.keyboard.press('Escape');
    await expect(detail).toBeHidden();
  });

  await test.step('templates editor shows field-level validation messages', async () => {
    await tab(page, 'Templates').click();
    await page.getByRole('button', { name: 'New template' }).click();
    await page.getByLabel('Template document').fill(
      'apiVersion: dragonfly.computer/v1\nkind: Template\nmetadata:\n  name: Bad_Name\nspec:\n  actions:\n    - name: reboot\n      type: reboot\n      timeoutSeconds: 0\n',
    );
    await page.getByRole('button', { name: /Apply/ }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Not applied' });
    await expect(alert).toContainText('Not applied');
    await expect(alert.getByRole('table')).toContainText('/metadata/name');
    await shot(page, 'templates-editor-error');
  });

  await test.step('network settings: full DHCP needs a probe first', async () => {
    await tab(page, 'Settings').click();
    const ifaces = page.getByRole('group', { name: 'Interface facing the machines' });
    await ifaces.locator('label', { hasText: /^lo/ }).getByRole('radio').check();
    await page.getByLabel(/Full DHCP/).check();
    await expect(page.getByLabel('Range start')).toHaveValue('127.0.0.100');
    await expect(page.getByLabel('Range end')).toHaveValue('127.0.0.200');
    const save = page.getByRole('button', { name: 'Save network settings' });
    await expect(save).toBeDisabled();
    await page.getByRole('button', { name: 'Check for other DHCP servers' }).click();
    await expect(page.getByText('No other DHCP server answered on lo')).toBeVisible();
    await expect(save).toBeEnabled();
    await shot(page, 'settings');
    // Not saved: full DHCP on this host is the lab suite's business, not the UI test's.
    await page.getByRole('button', { name: 'Discard changes' }).click();
  });

  await test.step('change the admin password: the current one is checked, then the new one signs in', async () => {
    const changeButton = page.getByRole('button', { name: 'Change password' });
    await page.getByLabel('Current password').fill('not-the-password');
    await page.getByLabel('New password', { exact: true }).fill('e2e-new-password-1');
    await page.getByLabel('Repeat new password').fill('e2e-new-password-1');
    await changeButton.click();
    await expect(page.getByRole('alert').filter({ hasText: 'current password' })).toHaveText('The current password is wrong.');
    await page.getByLabel('Current password').fill(cp.password);
    await page.getByLabel('New password', { exact: true }).fill('e2e-new-password-1');
    await page.getByLabel('Repeat new password').fill('e2e-new-password-1');
    await changeButton.click();
    await expect(page.getByRole('status').filter({ hasText: 'Password changed' })).toBeVisible();
    await shot(page, 'settings-password');
    const login = (password: string) => page.request.post(`${cp.url}/api/v1/auth/login`, { data: { username: 'admin', password } });
    expect((await login(cp.password)).status()).toBe(401);
    expect((await login('e2e-new-password-1')).status()).toBe(200);
    cp.password = 'e2e-new-password-1'; // the later tests of this file sign in with it
    // Every other session signed in under the old password has ended; this page's goes on.
    const other = await fetch(`${cp.url}/api/v1/hardware`, { headers: { authorization: `Bearer ${token}` } });
    expect(other.status).toBe(401);
    await expect(page.getByRole('status').filter({ hasText: 'Password changed' })).toBeVisible();
    token = await operatorToken(cp.url, cp.password);
  });

  await test.step('dark theme', async () => {
    await tab(page, 'Machines').click();
    await page.getByRole('button', { name: /Change theme/ }).click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    await shot(page, 'dark-machines');
    await tab(page, 'Provisioning').click();
    await page.getByRole('button', { name: /^All/ }).click();
    await shot(page, 'dark-provisioning');
  });

  expect(errors).toEqual([]);
});

test('an API-token session gets live updates and rides out a control-plane restart', async ({ browser }) => {
  const { token: apiToken } = await operatorCall<{ token: string }>(cp.url, token, 'POST', '/api/v1/tokens', { name: 'e2e-ui' });
  const page = await browser.newPage();
  await page.goto(cp.url);
  await page.getByRole('button', { name: 'API token' }).click();
  await page.getByLabel('API token').fill(apiToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('.machine-row[data-machine]')).toHaveCount(3);

  const fourth = new SimAgent(cp.url, '52:54:00:e2:00:04');
  await fourth.register();
  await expect(row(page, fourth.hardware)).toBeVisible();

  const restarted = cp.restart(2500);
  const banner = page.getByRole('alert').filter({ hasText: 'Connection to the control plane lost — retrying' });
  await expect(banner).toBeVisible();
  await shot(page, 'connection-lost');
  await restarted;
  await expect(banner).toBeHidden();
  const fifth = new SimAgent(cp.url, '52:54:00:e2:00:05');
  await fifth.register();
  await expect(row(page, fifth.hardware)).toBeVisible();
  await page.close();
});

test('an operator cancels a running assignment: the card says Cancelled, the agent hears it and its late report changes nothing', async ({ browser }) => {
  const token = await operatorToken(cp.url, cp.password); // sessions do not outlive the restart above
  const agent = new SimAgent(cp.url, '52:54:00:e2:00:06');
  await agent.register();
  const assigned = await operatorCall<{ results: { workflow?: string }[] }>(cp.url, token, 'POST', '/api/v1/assign', { template: 'debian-12', machines: [agent.hardware] });
  const wf = assigned.results[0].workflow!;
  expect((await agent.heartbeat()).next).toMatchObject({ action: 'run', workflow: wf });
  await agent.report(wf, { action: 0, phase: 'Running', bytesDone: 0, bytesTotal: 4_000_000_000 });

  const { token: apiToken } = await operatorCall<{ token: string }>(cp.url, token, 'POST', '/api/v1/tokens', { name: 'e2e-cancel' });
  const page = await browser.newPage();
  await page.goto(cp.url);
  await page.getByRole('button', { name: 'API token' }).click();
  await page.getByLabel('API token').fill(apiToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await tab(page, 'Provisioning').click();
  const card = page.getByRole('article', { name: new RegExp(agent.displayName) });
  await expect(card.locator('.phase')).toHaveText('Running');
  await card.getByRole('button', { name: 'Cancel assignment…' }).click();
  await expect(card.getByRole('group', { name: 'Cancel assignment' })).toContainText('Its agent stops after the action it is running');
  await shot(page, 'cancel-confirm');
  await card.getByRole('group', { name: 'Cancel assignment' }).getByRole('button', { name: 'Cancel assignment' }).click();

  // A cancelled workflow is finished: it leaves the active list and shows under All.
  await expect(card).toHaveCount(0);
  await page.getByRole('button', { name: /^All/ }).click();
  await expect(card.locator('.phase')).toHaveText('Cancelled');
  await expect(card.getByRole('button', { name: /Cancel assignment/ })).toHaveCount(0);
  await shot(page, 'provisioning-cancelled');

  // A report the agent sends before it hears of the cancel changes nothing; then its heartbeat tells it.
  await expect(agent.report(wf, { action: 0, phase: 'Failed', message: 'late' })).rejects.toThrow(/-> 410: .*was cancelled/);
  const beat = await agent.heartbeat(wf);
  expect(beat.cancelled).toEqual({ workflow: wf, reason: `workflow ${wf} was cancelled` });
  expect(beat.next.action).toBe('wait');
  await tab(page, 'Machines').click();
  await expect(row(page, agent.hardware).getByText('Registered')).toBeVisible();
  await page.close();
});
