// Bundles the privileged port helper (core/privhelper/cli.ts) into dist/privhelper/privhelper.mjs,
// which the packaged app ships outside its asar (extraResources) beside the launcher
// build/privhelper/dragonfly-privhelper. Only the native sockopt addon stays external: the
// launcher points NODE_PATH at the app's node_modules for it.
// Usage: node build/privhelper/bundle.mjs [--outdir DIR]
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function bundlePrivhelper(outDir = path.join(projectRoot, 'dist', 'privhelper')) {
  const outfile = path.join(outDir, 'privhelper.mjs');
  await build({
    entryPoints: [path.join(projectRoot, 'core/privhelper/cli.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20', // Electron 45's Node is 22; a system node may be 20
    external: ['sockopt'],
    logLevel: 'warning',
    legalComments: 'none',
    banner: { js: '// dragonfly-privhelper: binds only UDP 67/69/4011 for Dragonfly (docs/PRIVILEGES.md)' },
  });
  return outfile;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--outdir');
  console.log(`privhelper bundle: ${path.relative(projectRoot, await bundlePrivhelper(i > 0 ? path.resolve(process.argv[i + 1]) : undefined))}`);
}
