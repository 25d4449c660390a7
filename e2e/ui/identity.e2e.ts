import { expect, test, type Page } from '@playwright/test';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { SimAgent, operatorCall, operatorToken } from './sim-agent.ts';

let cp: ControlPlane;
test.beforeAll(async () => {
  cp = await startControlPlane();
});
test.afterAll(async () => {
  await cp?.stop();
});

const row = (page: Page, name: string) => page.locator(`.machine-row[data-machine="${name}"]`);
const disks = { cores: 8, memoryGiB: 32, diskGiB: [480] };

test('a second machine with the same MAC is refused, shown as an identity conflict, and the operator accepts it', async ({ page }) => {
  const mac = '52:54:00:e2:1d:01';
  const real = new SimAgent(cp.url, mac);
  await real.register({ ...disks, serial: 'REAL-BOARD' });
  const impostor = new SimAgent(cp.url, mac);
  await expect(impostor.register({ ...disks, serial: 'NEW-BOARD' })).rejects.toThrow(/-> 409: .*identity conflict.*NEW-BOARD differs from the pinned REAL-BOARD/);

  await page.goto(cp.url);
  await page.getByLabel('Password', { exact: true }).fill(cp.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(row(page, real.hardware).getByText('Identity conflict')).toBeVisible();

  await row(page, real.hardware).getByRole('button', { name: real.displayName }).click();
  const panel = page.getByRole('region', { name: 'Identity conflict' });
  await expect(panel).toContainText('serial REAL-BOARD');
  await expect(panel).toContainText('serial NEW-BOARD');
  await panel.getByRole('button', { name: 'Accept new identity' }).click();
  await expect(panel).toHaveCount(0);
  await expect(row(page, real.hardware).getByText('Identity conflict')).toHaveCount(0);
  // The agent's next retry registers under the accepted identity, into the same machine.
  expect(await impostor.register({ ...disks, serial: 'NEW-BOARD' })).toBe(real.hardware);
});

test('with enrolment: approve a new machine waits as Discovered until the operator clicks Approve', async ({ page }) => {
  const token = await operatorToken(cp.url, cp.password);
  await operatorCall(cp.url, token, 'PUT', '/api/v1/settings/enrolment', { enrolment: 'approve' });
  const agent = new SimAgent(cp.url, '52:54:00:e2:a9:01');
  await agent.register(disks);

  await page.goto(cp.url);
  await page.getByLabel('Password', { exact: true }).fill(cp.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(row(page, agent.hardware).getByText('Awaiting approval')).toBeVisible();
  await expect(row(page, agent.hardware).getByText('Discovered')).toBeVisible();
  await row(page, agent.hardware).getByRole('button', { name: agent.displayName }).click();
  await page.getByRole('region', { name: 'Awaiting approval' }).getByRole('button', { name: 'Approve machine' }).click();
  await expect(row(page, agent.hardware).getByText('Registered')).toBeVisible();
  await expect(row(page, agent.hardware).getByText('Awaiting approval')).toHaveCount(0);
});
