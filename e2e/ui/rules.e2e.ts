import { expect, test, type Page } from '@playwright/test';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { SimAgent, demoTemplate, operatorCall, operatorToken } from './sim-agent.ts';

// Zero-touch rules (issue 17) in the UI, against the real control plane on loopback.
let cp: ControlPlane;
let token: string;
test.beforeAll(async () => {
  cp = await startControlPlane();
  token = await operatorToken(cp.url, cp.password);
  await operatorCall(cp.url, token, 'POST', '/api/v1/apply', demoTemplate, 'application/yaml');
});
test.afterAll(async () => {
  await cp?.stop();
});

async function signIn(page: Page) {
  await page.goto(cp.url);
  await page.getByLabel('Password', { exact: true }).fill(cp.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const rackRule = `apiVersion: dragonfly.computer/v1
kind: Rule
metadata:
  name: rack-a
spec:
  priority: 10
  match: { serial: "RACK-A-*" }
  expect: { memoryGiB: 32, disks: { atLeast: 2 } }
  action: { labels: { role: worker }, template: debian-12 }
`;

const ruleNames = (page: Page) => page.getByRole('table', { name: 'Rules in order' }).locator('tr.rule-row td.mono');

test('the Rules page creates a rule from YAML, lists rules in the order they run, and deletes one', async ({ page }) => {
  await signIn(page);
  await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Rules' }).click();
  await expect(page.getByText('No rules: every machine waits')).toBeVisible();

  await page.getByRole('button', { name: 'New rule' }).click();
  await page.getByLabel('Rule document').fill(rackRule);
  await page.getByRole('button', { name: 'Apply rule' }).click();
  await expect(page.getByRole('status')).toHaveText('Applied: Rule rack-a created.');
  await expect(page.locator('tr[data-rule="rack-a"]')).toContainText('assign debian-12');

  // A bad field is named, and nothing is stored.
  await page.getByLabel('Rule document').fill(rackRule.replace('rack-a', 'broken').replace('priority: 10', 'priority: 10\n  colour: red'));
  await page.getByRole('button', { name: 'Apply rule' }).click();
  await expect(page.getByRole('alert')).toContainText('colour');

  // Two more through the API: the list follows priority, ties by name, not creation order.
  const rule = (name: string, priority: number) => ({ apiVersion: 'dragonfly.computer/v1', kind: 'Rule', metadata: { name }, spec: { priority, action: {} } });
  await operatorCall(cp.url, token, 'POST', '/api/v1/rules', rule('zz-catch-all', 5));
  await operatorCall(cp.url, token, 'POST', '/api/v1/rules', rule('aa-catch-all', 5));
  await expect(ruleNames(page)).toHaveText(['aa-catch-all', 'zz-catch-all', 'rack-a']);

  await page.getByRole('button', { name: 'Edit rule aa-catch-all' }).click();
  await expect(page.getByLabel('Rule document')).toHaveValue(/name: aa-catch-all/);
  await page.getByRole('button', { name: 'Delete rule aa-catch-all' }).click();
  await page.getByRole('button', { name: 'Delete rule zz-catch-all' }).click();
  await expect(ruleNames(page)).toHaveText(['rack-a']);
});

test('machines registering under the rule: the rack summary counts them and names the failed one\'s reason', async ({ page }) => {
  const good = new SimAgent(cp.url, '52:54:00:e2:17:01');
  await good.register({ cores: 8, memoryGiB: 64, diskGiB: [480, 1920], serial: 'RACK-A-001' });
  const short = new SimAgent(cp.url, '52:54:00:e2:17:02');
  await short.register({ cores: 8, memoryGiB: 16, diskGiB: [480], serial: 'RACK-A-002' });
  const other = new SimAgent(cp.url, '52:54:00:e2:17:03');
  await other.register({ cores: 8, memoryGiB: 64, diskGiB: [480], serial: 'ELSEWHERE-1' });

  await signIn(page);
  const strip = page.getByRole('region', { name: 'Rack summary' });
  await expect(strip.locator('[data-phase="checking"]')).toHaveText('1 Checking');
  await expect(strip.locator('[data-phase="failed"]')).toHaveText('1 Failed');
  await expect(strip.locator('[data-phase="discovered"]')).toHaveText('1 Discovered');
  await expect(strip.locator('[data-phase="ready"]')).toHaveText('0 Ready');
  const failed = strip.getByRole('list', { name: 'Failed machines' });
  await expect(failed).toContainText(short.displayName);
  await expect(failed).toContainText('rule rack-a: memory 16.0 GiB, expected ≥ 32 GiB; disks 1, expected ≥ 2');

  // The machine's timeline says which rule matched and why.
  await failed.getByRole('button', { name: short.displayName }).click();
  await expect(page.getByText('rule rack-a matched: serial "RACK-A-002" ~ "RACK-A-*"')).toBeVisible();
  await page.screenshot({ path: 'e2e/test-results/rules-rack-summary.png' });
});
