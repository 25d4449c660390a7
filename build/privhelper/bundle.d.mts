/** Types for bundle.mjs (plain JS so it runs without a build step). */
export function bundlePrivhelper(outDir?: string): Promise<string>;
