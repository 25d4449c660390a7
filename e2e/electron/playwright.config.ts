import { defineConfig } from '@playwright/test';

/** The desktop app suite: `npx playwright test --config e2e/electron/playwright.config.ts`. */
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  timeout: 90_000,
  workers: 1, // one Electron at a time: the app holds a single-instance lock
  reporter: [['list']],
  outputDir: '../artifacts/electron',
});
