#!/usr/bin/env node
// `npm start`: the desktop app when Electron is installed, else the headless control plane.
// Electron is an optional dependency whose postinstall downloads its binary; where that
// download is blocked the package (or its binary) is missing, and the same control plane
// runs headless with `dragonfly serve` and the same arguments.
// On a fresh clone it also builds what is missing: the UI before the server starts (tens of
// seconds), and, headless, the agent boot image in the background while the server already
// answers (`serve --build-agent-image`: minutes the first time, a quick check afterwards).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

/** Path of the Electron binary, or undefined when the package or its binary is missing. */
export function findElectronBinary(require = createRequire(import.meta.url)) {
  try {
    require.resolve('electron');
    // The package's main exports the binary's path, and throws when the download never happened.
    const binary = require('electron');
    return typeof binary === 'string' && existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

/** Runs a child with our stdio, passes SIGINT/SIGTERM on, and exits with its code. */
function run(command, argv, env = process.env) {
  const child = spawn(command, argv, { stdio: 'inherit', env, cwd: root });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  child.on('error', (e) => {
    console.error(`could not start ${command}: ${e.message}`);
    process.exit(1);
  });
}

/** `npm start -- --help` only prints usage: nothing to build for that. */
const helpOnly = (argv) => argv.includes('--help') || argv.includes('-h');

async function ensureUi() {
  if (helpOnly(args)) return;
  const { ensureRendererBuilt } = await import('../build/renderer/ensure-built.mjs');
  ensureRendererBuilt({ root });
}

async function main() {
  const electron = findElectronBinary();
  if (!electron) {
    console.log('Electron is not installed here; starting the headless control plane instead');
    await ensureUi();
    run(process.execPath, [path.join(root, 'bin', 'dragonfly.mjs'), 'serve', ...(helpOnly(args) ? [] : ['--build-agent-image']), ...args]);
    return;
  }
  await ensureUi();
  if (!existsSync(path.join(root, 'dist', 'agent-image', 'initramfs.img'))) {
    // The desktop app serves the image it finds and never builds one (a packaged app ships it).
    console.log('agent image: missing, so machines cannot boot yet; build it with npm run build:agent-image (about 5 minutes)');
  }
  const { bundleElectron } = await import('../build/electron/bundle.mjs');
  await bundleElectron();
  // ELECTRON_RUN_AS_NODE in the environment would make the binary a plain Node: drop it.
  const { ELECTRON_RUN_AS_NODE: _, ...env } = process.env;
  run(electron, [root, ...args], env);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
