import { expect, test, type Page } from '@playwright/test';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, lineReader, type Lab } from '../../core/dhcp/testing/lab.ts';
import { unmetNeeds } from '../../core/testing/peer-check.ts';
import { startControlPlane, type ControlPlane } from './control-plane.ts';

/**
 * The first-run screen against the real control plane, in a network namespace this test
 * builds, with the browser inside it too (so nothing here touches the host's networks):
 *
 *   dfd-br0  10.78.0.1/24  the provisioning network; dnsmasq (another DHCP server) answers on it
 *   dfd-br1  10.79.0.1/24  the uplink: carries the namespace's default route (gateway 10.79.0.254)
 *   dfd-spare              a NIC with no cable (a veth whose peer is down): link down, no address
 *   lo                     loopback
 *
 * The agent image starts missing (an empty directory): the screen must say so, and say
 * "can boot" only once the image is there.
 */
const unmet = unmetNeeds(['root', 'ip', 'dnsmasq']);
const labName = `fr${process.pid % 100000}`;
const netns = `dfd-${labName}`;
const artifacts = new URL('../artifacts/', import.meta.url).pathname;
const repoImage = new URL('../../dist/agent-image/', import.meta.url).pathname;

// Chromium runs inside the namespace, where the control plane listens on 127.0.0.1.
const chromiumInNetns = join(tmpdir(), `df-first-run-chromium-${process.pid}.sh`);
writeFileSync(chromiumInNetns, `#!/bin/sh\nexec ip netns exec ${netns} ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'} "$@"\n`);
chmodSync(chromiumInNetns, 0o755);
test.use({ launchOptions: { executablePath: chromiumInNetns, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] } });

let lab: Lab | undefined;
let cp: ControlPlane | undefined;
let imageDir = '';

test.beforeAll(async () => {
  // In CI a missing peer is a failure, never a skip (core/testing/peers.ts says why).
  if (unmet.length && process.env.CI) throw new Error(`CI=true and the first-run suite's peers are missing: ${unmet.join('; ')}`);
  test.skip(unmet.length > 0, `not run: ${unmet.join('; ')} (to build the namespace with another DHCP server)`);
  mkdirSync(artifacts, { recursive: true });
  lab = createLab(labName);
  lab.addBridge(0, '10.78.0.1/24');
  const dhcpHost = lab.addHost('dhcp', 0, '10.78.0.2/24');
  lab.addBridge(1, '10.79.0.1/24');
  const gwHost = lab.addHost('gw', 1, '10.79.0.254/24');
  // The spare NIC's other end sits, down, in the gateway's namespace: no carrier on either side.
  lab.exec(lab.ns, `ip route add default via 10.79.0.254 dev dfd-br1 && ip link add dfd-spare type veth peer name dfd-sparep netns ${gwHost}`);
  const dnsmasq = lineReader(
    lab.spawnIn(dhcpHost, ['dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--port=0', '--interface=dfd-dhcp', '--bind-interfaces', '--no-ping', '--dhcp-range=10.78.0.100,10.78.0.150,255.255.255.0,1h', `--dhcp-leasefile=${join(lab.dir, 'leases')}`]),
  );
  await expect.poll(() => dnsmasq.stderr(), { timeout: 15_000, message: 'dnsmasq did not start' }).toContain('DHCP, IP range');
  imageDir = mkdtempSync(join(tmpdir(), 'df-first-run-image-'));
  cp = await startControlPlane(60_000, { wrap: ['ip', 'netns', 'exec', lab.ns], args: ['--dhcp-mode', 'proxy', '--agent-image-dir', imageDir] });
});

test.afterAll(async () => {
  await cp?.stop();
  await lab?.close();
  if (imageDir) rmSync(imageDir, { recursive: true, force: true });
  rmSync(chromiumInNetns, { force: true });
});

const check = (page: Page, title: string) => page.locator(`.fr-check[data-check="${title}"]`);
const option = (page: Page, name: string) => page.locator(`.fr-iface[data-iface="${name}"]`);
const shot = (page: Page, name: string) => page.screenshot({ path: `${artifacts}${name}.png`, fullPage: true });

test('first run: see what is missing, find the other DHCP server, choose the provisioning interface', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await test.step('signing in on a fresh control plane opens the first-run screen', async () => {
    await page.goto(cp!.url);
    await page.getByLabel('Password', { exact: true }).fill(cp!.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { name: 'Set up this laptop for network boot' })).toBeVisible();
    await expect(page.getByTestId('can-boot')).toHaveText('Machines cannot boot yet: 2 things to fix.');
    await expect(check(page, 'Agent boot image')).toContainText(`missing: ${imageDir} has no vmlinuz and initramfs.img; build it with npm run build:agent-image`);
    await expect(check(page, 'iPXE binaries')).toContainText('present (undionly.kpxe, snponly.efi, ipxe-arm64.efi)');
    await expect(check(page, 'Provisioning interface')).toContainText('none chosen');
    await expect(check(page, 'DHCP')).toContainText('proxy, once an interface is chosen');
  });

  await test.step('every interface of the namespace is listed with address, link state and the uplink marked; none is preselected', async () => {
    await expect(option(page, 'dfd-br0')).toContainText('10.78.0.1/24');
    await expect(option(page, 'dfd-br0')).toContainText('link up');
    await expect(option(page, 'dfd-br1')).toContainText('default route: your uplink');
    await expect(option(page, 'dfd-br0')).not.toContainText('default route');
    await expect(option(page, 'dfd-spare')).toContainText('link down');
    await expect(option(page, 'dfd-spare')).toContainText('no IPv4 address');
    await expect(option(page, 'lo')).toContainText('loopback');
    await expect(page.locator('input[name="fr-iface"]:checked')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Choose an interface first' })).toBeDisabled();
    await shot(page, 'first-run-fresh');
  });

  await test.step('the uplink needs an explicit confirmation', async () => {
    await option(page, 'dfd-br1').click();
    await expect(page.getByRole('button', { name: 'Use dfd-br1 for provisioning' })).toBeDisabled();
    await expect(page.getByText("dfd-br1 carries this laptop's default route")).toBeVisible();
  });

  await test.step('on the provisioning network the probe finds dnsmasq, and the screen says which mode will be used', async () => {
    await option(page, 'dfd-br0').click();
    await page.getByRole('button', { name: 'Check for other DHCP servers on dfd-br0' }).click();
    await expect(page.getByTestId('probe-result')).toContainText(/Another DHCP server answers on dfd-br0: 10\.78\.0\.2 \(offered 10\.78\.0\.1\d\d\)/, { timeout: 30_000 });
    await expect(page.getByTestId('mode-to-be-used')).toContainText('Proxy DHCP beside the DHCP server that answers here (10.78.0.2)');
    await shot(page, 'first-run-probe');
  });

  await test.step('applying the choice restarts DHCP there, through the network settings', async () => {
    await page.getByRole('button', { name: 'Use dfd-br0 for provisioning' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'dfd-br0 is the provisioning interface now' })).toBeVisible();
    await expect(check(page, 'Provisioning interface')).toContainText('dfd-br0 (10.78.0.1)');
    await expect(check(page, 'DHCP')).toContainText('proxy on dfd-br0');
    await expect(check(page, 'DHCP')).toHaveClass(/fr-ok/);
    await expect(page.getByTestId('can-boot')).toHaveText('Machines cannot boot yet: 1 thing to fix.');
    await expect(page.locator('.status-bar')).toContainText('proxy on dfd-br0');
    await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Settings' }).click();
    await expect(page.locator('input[name="iface"][value="dfd-br0"]')).toBeChecked();
  });

  await test.step('with the agent image in place, machines can boot', async () => {
    if (!existsSync(join(repoImage, 'initramfs.img'))) {
      // Said in the report rather than skipping the whole test: everything above did run.
      test.info().annotations.push({ type: 'not run', description: 'last step: dist/agent-image is not built in this checkout (npm run build:agent-image)' });
      return;
    }
    for (const f of ['vmlinuz', 'initramfs.img']) symlinkSync(join(repoImage, f), join(imageDir, f));
    await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Setup' }).click();
    await expect(page.getByTestId('can-boot')).toHaveText('Machines can boot from this laptop.');
    await expect(check(page, 'Agent boot image')).toHaveClass(/fr-ok/);
    await expect(option(page, 'dfd-br0').locator('input')).toBeChecked();
    await shot(page, 'first-run-ready');
  });

  expect(errors).toEqual([]);
});
