import { configDefaults, defineConfig, type ViteUserConfig } from 'vitest/config';

/** Checks of the built agent image: they run after npm run build:agent-image (npm run test:agent-image). */
export const agentImageTests = ['build/agent/built-image.test.ts', 'build/agent/boot-direct.test.ts', 'core/power/ipmi/sol-qemu.test.ts', 'build/agent/built-image-arm64.test.ts'];

/** What every run shares, this one and build/agent/vitest.image.config.ts. */
export const sharedTestOptions: NonNullable<ViteUserConfig['test']> = {
  globalSetup: ['core/testing/not-run-summary.ts'],
  testTimeout: 30_000,
  hookTimeout: 60_000,
  pool: 'forks',
};

export default defineConfig({
  test: {
    ...sharedTestOptions,
    include: ['core/**/*.test.ts', 'agent/**/*.test.ts', 'electron/**/*.test.ts', 'build/**/*.test.ts', 'renderer/**/*.test.ts', 'e2e/lab/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...agentImageTests],
  },
});
