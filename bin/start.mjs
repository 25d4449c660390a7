#!/usr/bin/env node
// `npm start`: the desktop app when Electron is installed, else the headless control plane.
// Electron is an optional dependency whose postinstall downloads its binary; where that
// download is blocked the package (or its binary) is missing, and the same control plane
// runs headless with `dragonfly serve` and the same arguments.
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

async function main() {
  const electron = findElectronBinary();
  if (!electron) {
    console.log('Electron is not installed here; starting the headless control plane instead');
    run(process.execPath, [path.join(root, 'bin', 'dragonfly.mjs'), 'serve', ...args]);
    return;
  }
  const { bundleElectron } = await import('../build/electron/bundle.mjs');
  await bundleElectron();
  // ELECTRON_RUN_AS_NODE in the environment would make the binary a plain Node: drop it.
  const { ELECTRON_RUN_AS_NODE: _, ...env } = process.env;
  run(electron, [root, ...args], env);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
