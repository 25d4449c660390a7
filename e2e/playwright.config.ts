import { defineConfig } from '@playwright/test';

/**
 * UI end-to-end tests: Debian's chromium (Playwright's browser download is not reachable
 * here), headless, against the real control plane each test file starts itself.
 */
export default defineConfig({
  testDir: './ui',
  testMatch: /.*\.e2e\.ts$/,
  globalSetup: './ui/global-setup.ts',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1440, height: 900 },
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
