import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { startKubeTestServer, type KubeTestServer } from '../../core/store/kubernetes/testing/test-server.ts';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { operatorCall, operatorToken } from './sim-agent.ts';

// The Images page shows where each image is (issue 18): two real `dragonfly serve --backend
// kubernetes` on loopback form a swarm over the Kubernetes test server (built from the published
// API shapes; no cluster here); an image imported on A is listed on B as held by A.
let kube: KubeTestServer;
let dir: string;
let a: ControlPlane;
let b: ControlPlane;

test.beforeAll(async () => {
  kube = await startKubeTestServer();
  dir = await mkdtemp(join(tmpdir(), 'dfui-images-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const context = { cluster: 'lab', user: 'tech', namespace: 'dragonfly' };
  await writeFile(kubeconfig, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'lab', cluster: { server: kube.url, 'insecure-skip-tls-verify': true } }], users: [{ name: 'tech', user: {} }], contexts: [{ name: 'lab', context }], 'current-context': 'lab' }));
  const args = ['--dhcp-mode', 'off', '--tftp-port', '0', '--backend', 'kubernetes', '--kubeconfig', kubeconfig];
  a = await startControlPlane(60_000, { args });
  await expect.poll(() => /--join (dfj1\.\S+)/.exec(a.output())?.[1], { message: 'A prints a join token' }).toBeTruthy(); // printed after the password
  const join_ = /--join (dfj1\.\S+)/.exec(a.output())![1];
  b = await startControlPlane(60_000, { args: [...args, '--join', join_], joining: true });
});

test.afterAll(async () => {
  await b?.stop();
  await a?.stop();
  await kube?.close();
  await rm(dir, { recursive: true, force: true });
});

async function openImages(page: Page, cp: ControlPlane, signIn: boolean) {
  await page.goto(cp.url);
  if (signIn) {
    await page.getByLabel('Password', { exact: true }).fill(a.password); // one admin for the swarm
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  // no interface and no machine: the app first lands on the first-run screen; leave it from there
  await expect(page.getByRole('heading', { name: 'Set up this laptop for network boot' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Images' }).click();
}

test('an image imported on A is listed on B as not here and held by A; on A as ready, held by A', async ({ page }) => {
  const token = await operatorToken(a.url, a.password);
  await mkdir(join(a.dataDir, 'import'), { recursive: true });
  await writeFile(join(a.dataDir, 'import', 'rack-os.raw'), Buffer.alloc(512 << 10, 7));
  await operatorCall(a.url, token, 'POST', '/api/v1/images/import', { name: 'rack-os', path: 'rack-os.raw' });

  await openImages(page, b, true);
  const onB = page.locator('tr[data-image="rack-os"]');
  await expect(onB).toContainText('not here');
  await expect(onB.locator('td').last()).toHaveText(a.url);
  await expect(page.getByRole('columnheader', { name: 'Held by' })).toBeVisible();

  // Cookies ignore the port: the session B made is sent to A, which knows it (sessions are shared).
  await openImages(page, a, false);
  const onA = page.locator('tr[data-image="rack-os"]');
  await expect(onA).toContainText('ready');
  await expect(onA).toContainText('512 KiB');
  await expect(onA.locator('td').last()).toHaveText(a.url);
});
