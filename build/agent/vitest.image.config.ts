import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { agentImageTests, sharedTestOptions } from '../../vitest.config.ts';

/** npm run test:agent-image: only the checks of the image npm run build:agent-image made. */
export default defineConfig({
  test: { ...sharedTestOptions, root: fileURLToPath(new URL('../..', import.meta.url)), include: agentImageTests },
});
