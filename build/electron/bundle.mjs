// Bundles the Electron main process and preload from electron/*.ts into dist/electron/.
//   dist/electron/main.js     ESM (package.json "type": "module"; Electron >= 28 loads ESM mains)
//   dist/electron/preload.cjs CommonJS: a sandboxed preload gets a small require() and no ESM
// npm packages stay external (resolved from node_modules at run time; electron-builder packs
// the production ones), so native modules (better-sqlite3, sockopt) are never inlined.
// Usage: node build/electron/bundle.mjs [--watch]    (also imported by bin/start.mjs)
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const outDir = path.join(projectRoot, 'dist', 'electron');
/** Electron 45 runs Node 22 in its main process and Chromium 142 in the renderer. */
const NODE_TARGET = 'node22';

const common = (minify) => ({ bundle: true, sourcemap: true, minify, logLevel: 'warning', absWorkingDir: projectRoot, legalComments: 'none' });

export async function bundleElectron({ minify = false, outDir: dir = outDir } = {}) {
  await Promise.all([
    build({
      ...common(minify),
      entryPoints: ['electron/main.ts'],
      outfile: path.join(dir, 'main.js'),
      platform: 'node',
      format: 'esm',
      target: NODE_TARGET,
      packages: 'external',
      external: ['electron'],
      // Bundled CommonJS dependencies of ours may call require(); give the ESM output one.
      banner: { js: "import { createRequire as __dfCreateRequire } from 'node:module'; const require = __dfCreateRequire(import.meta.url);" },
    }),
    bundlePreload({ outfile: path.join(dir, 'preload.cjs'), minify }),
  ]);
  return { main: path.join(dir, 'main.js'), preload: path.join(dir, 'preload.cjs') };
}

/** The preload alone; `write: false` returns the code in memory (tests run it in a vm). */
export async function bundlePreload({ outfile = path.join(outDir, 'preload.cjs'), minify = false, write = true } = {}) {
  const result = await build({
    ...common(minify),
    sourcemap: write,
    write,
    entryPoints: ['electron/preload.ts'],
    outfile,
    platform: 'node',
    format: 'cjs',
    target: NODE_TARGET,
    external: ['electron'],
  });
  return write ? undefined : result.outputFiles[0].text;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await bundleElectron({ minify: process.argv.includes('--minify') });
  console.log(`electron bundle: ${path.relative(projectRoot, out.main)}, ${path.relative(projectRoot, out.preload)}`);
}
