#!/usr/bin/env node
// Bundles the agent into one minified CommonJS file for the boot image: dist/agent/agent.js.
// CommonJS because the initramfs has no package.json saying "type": "module".
// Usage: node build/agent/bundle.mjs [--outfile PATH]
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * What the agent may pull into its bundle (DESIGN.md section 3): agent/, core/model, core/shared,
 * typebox only because core/model's schemas are built with it, ws for the fan-out tracker's channel.
 */
export const ALLOWED_INPUT = /^(agent|core\/model|core\/shared|node_modules\/(typebox|fzstd|xz-decompress|ws))\//;

/** `target`: the Node the image carries (node18 for an arm64 image with Debian's Node). */
export async function bundleAgent(outfile = resolve(repo, 'dist/agent/agent.js'), target = 'node20') {
  const pkg = JSON.parse(readFileSync(resolve(repo, 'package.json'), 'utf8'));
  mkdirSync(dirname(outfile), { recursive: true });
  const result = await build({
    absWorkingDir: repo,
    entryPoints: ['agent/main.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    target,
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    define: { __DRAGONFLY_AGENT_VERSION__: JSON.stringify(pkg.version) },
    // ws's optional native add-ons: a module that throws, so ws uses its JavaScript code.
    alias: { bufferutil: './agent/fanout/no-native.cjs', 'utf-8-validate': './agent/fanout/no-native.cjs' },
  });
  const inputs = Object.keys(result.metafile.inputs).map((p) => relative(repo, resolve(repo, p)));
  const foreign = inputs.filter((p) => !ALLOWED_INPUT.test(p));
  if (foreign.length) throw new Error(`agent bundle pulls in files outside agent/, core/model, core/shared and its allowed packages: ${foreign.join(', ')}`);
  // The repo's package.json says "type": "module"; this one makes `node dist/agent/agent.js` load it as CommonJS.
  writeFileSync(resolve(dirname(outfile), 'package.json'), '{ "type": "commonjs" }\n');
  writeFileSync(`${outfile}.inputs.json`, JSON.stringify(inputs, null, 1) + '\n');
  return { outfile, inputs, bytes: readFileSync(outfile).length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--outfile');
  const r = await bundleAgent(i > 0 ? resolve(process.argv[i + 1]) : undefined);
  console.log(`${relative(process.cwd(), r.outfile)}: ${r.bytes} bytes from ${r.inputs.length} files`);
}
