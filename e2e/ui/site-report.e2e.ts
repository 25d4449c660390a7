import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { SimAgent, operatorCall, operatorToken } from './sim-agent.ts';

// Issue 17: the technician uploads the rack's inventory CSV, then opens the signed site report.
let cp: ControlPlane;
test.beforeAll(async () => {
  cp = await startControlPlane();
});
test.afterAll(async () => {
  await cp?.stop();
});

const artifacts = new URL('../artifacts/', import.meta.url).pathname;
const header = 'mac,bmc_address,bmc_username,bmc_password,rack,position,name';
// BMC addresses on loopback: nothing here powers them (no assignment), so no packet is sent.
const good = [header, '52:54:00:17:00:01,127.0.0.1:6231,admin,secret,r1,u01,rack1-u01', '52:54:00:17:00:02,127.0.0.1:6232,admin,secret,r1,u02,rack1-u02'].join('\n');
const bad = [header, '52:54:00:17:00:09,127.0.0.1:6239,admin,secret,r1,u09,', 'zz:54:00:17:00:0a,,admin,secret,r1,u10,'].join('\n');

test('inventory upload names bad rows; the site report page lists every machine and the key fingerprint', async ({ page }) => {
  const agent = new SimAgent(cp.url, '52:54:00:17:00:aa');
  await agent.register({ cores: 8, memoryGiB: 16, diskGiB: [240], serial: 'SERIAL-E2E-1' });

  await page.goto(cp.url);
  await page.getByLabel('Password', { exact: true }).fill(cp.password);
  await page.getByRole('button', { name: 'Sign in' }).click();

  const upload = page.getByLabel('Import inventory CSV');
  await upload.setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  const result = page.getByRole('alert', { name: 'Inventory import result' });
  await expect(result).toContainText('Nothing was imported');
  await expect(result).toContainText('line 3: mac "zz:54:00:17:00:0a" is not a MAC address');
  await expect(result).toContainText('line 3: bmc_address is empty');
  await expect(page.locator('.machine-row[data-machine="rack1-u01"]')).toHaveCount(0);

  await upload.setInputFiles({ name: 'rack1.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
  await expect(page.getByRole('status', { name: 'Inventory import result' })).toContainText('2 machines declared from rack1.csv: rack1-u01, rack1-u02');
  await expect(page.locator('.machine-row[data-machine="rack1-u02"]')).toBeVisible();
  await mkdir(artifacts, { recursive: true });
  await page.screenshot({ path: `${artifacts}inventory-import.png` });

  const [report] = await Promise.all([page.waitForEvent('popup'), page.getByRole('link', { name: 'Site report' }).click()]);
  await report.waitForLoadState();
  await expect(report.getByRole('heading', { name: 'Dragonfly site report' })).toBeVisible();
  for (const name of ['rack1-u01', 'rack1-u02', agent.displayName]) await expect(report.getByRole('heading', { name: new RegExp(name) })).toBeVisible();
  await expect(report.getByText('SERIAL-E2E-1')).toBeVisible();

  // The fingerprint on the page is the one that signs the JSON the CLI verifies.
  const token = await operatorToken(cp.url, cp.password);
  const signed = (await (await fetch(`${cp.url}/api/v1/report`, { headers: { authorization: `Bearer ${token}` } })).json()) as { signature: { keyFingerprint: string } };
  await expect(report.getByTestId('key-fingerprint')).toHaveText(signed.signature.keyFingerprint);

  await report.screenshot({ path: `${artifacts}site-report.png`, fullPage: true });
  await report.emulateMedia({ media: 'print' });
  await writeFile(`${artifacts}site-report.pdf`, await report.pdf({ format: 'A4' }));
});

// Signed in with an API token (as the desktop app is, with its own bearer token), a link would
// reach the server without credentials: the buttons fetch the report as the operator and save it.
test('signed in with an API token, the report buttons save the page and the signed JSON', async ({ page }) => {
  const session = await operatorToken(cp.url, cp.password);
  const { token } = await operatorCall<{ token: string }>(cp.url, session, 'POST', '/api/v1/tokens', { name: 'report-e2e' });
  await page.goto(cp.url);
  await page.getByRole('button', { name: 'API token' }).click();
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();

  const [html] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Site report' }).click()]);
  expect(html.suggestedFilename()).toBe('dragonfly-report.html');
  const page1 = await readFile((await html.path())!, 'utf8');
  expect(page1).toContain('Dragonfly site report');
  expect(page1).toContain('rack1-u01');

  const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Signed JSON' }).click()]);
  expect(json.suggestedFilename()).toBe('dragonfly-report.json');
  const signed = JSON.parse(await readFile((await json.path())!, 'utf8')) as { signature: { keyFingerprint: string } };
  expect(page1).toContain(signed.signature.keyFingerprint);
});
