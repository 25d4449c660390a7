import { createHash, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { startControlPlane, type ControlPlane } from './control-plane.ts';

// Issue 14 leftover: the technician drops an image file from the laptop into the app.
let cp: ControlPlane;
test.beforeAll(async () => {
  cp = await startControlPlane();
});
test.afterAll(async () => {
  await cp?.stop();
});

const artifacts = new URL('../artifacts/', import.meta.url).pathname;
// 6 MiB: half random (it must really travel), half zeros (like a real disk).
const disk = Buffer.concat([randomBytes(3 << 20), Buffer.alloc(3 << 20)]);
const sha256 = createHash('sha256').update(disk).digest('hex');

test('an image file uploaded on the Images page shows real progress, then is listed with its digest; a refusal is shown', async ({ page }) => {
  await page.goto(cp.url);
  await page.getByLabel('Password', { exact: true }).fill(cp.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Images', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Images' })).toBeVisible();

  // Loopback would finish 6 MiB before anyone sees a bar: the browser's own throttle slows the upload to ~1 MiB/s (about 6 s).
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 1024 * 1024 });

  await page.getByLabel('Upload image…').setInputFiles({ name: 'Rack Disk.raw', mimeType: 'application/octet-stream', buffer: disk });
  const bar = page.getByRole('progressbar', { name: 'Upload of Rack Disk.raw' });
  await expect(bar).toBeVisible();
  await expect(async () => {
    const now = Number(await bar.getAttribute('aria-valuenow'));
    expect(now).toBeGreaterThan(0);
    expect(now).toBeLessThan(100);
  }).toPass({ timeout: 10_000, intervals: [50] });
  await mkdir(artifacts, { recursive: true });
  await page.screenshot({ path: `${artifacts}image-upload-progress.png` });

  await expect(page.getByRole('status')).toContainText(`Rack Disk.raw is now cache:rack-disk (6 MiB raw, sha256 ${sha256})`, { timeout: 30_000 });
  await expect(bar).toHaveCount(0);
  const row = page.locator('.image-table tr[data-image="rack-disk"]');
  await expect(row).toContainText('ready');
  await expect(row.locator('.digest')).toHaveText(sha256);
  await page.screenshot({ path: `${artifacts}image-upload-done.png` });

  // Dropped this time, and refused by the server: its reason is on the page, and nothing is listed.
  // (browser code as text: this file compiles without the DOM's types)
  const dataTransfer = await page.evaluateHandle('(() => { const dt = new DataTransfer(); dt.items.add(new File([new Uint8Array(4096)], "disk.qcow2")); return dt; })()');
  await page.locator('.image-drop').dispatchEvent('drop', { dataTransfer });
  await expect(page.getByRole('alert')).toContainText('disk.qcow2 was not uploaded: "disk.qcow2" is not a .raw, .raw.gz, .raw.xz or .raw.zst file');
  await expect(page.locator('.image-table tbody tr')).toHaveCount(1);
  await page.screenshot({ path: `${artifacts}image-upload-refused.png` });

  // Refused with most of the body still to come (the name is taken): the page still gets the server's words.
  await page.getByLabel('Upload image…').setInputFiles({ name: 'Rack Disk.raw', mimeType: 'application/octet-stream', buffer: disk });
  await expect(page.getByRole('alert')).toContainText('Rack Disk.raw was not uploaded: image cache:rack-disk is already in the cache');
  await expect(row.locator('.digest')).toHaveText(sha256);
});
