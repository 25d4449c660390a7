// The UI on first start: `npm start` builds dist/renderer/ when it is missing or older than
// its sources, so a fresh clone serves the UI at `/` without a separate build step. A failed
// build is one line; the control plane starts anyway (the API and boot files need no UI).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What the built UI is made from: a change to any of these makes the build stale. */
const SOURCES = ['renderer/src', 'renderer/index.html', 'renderer/vite.config.ts', 'renderer/public'];

function newestMtime(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(p).map((n) => newestMtime(path.join(p, n))));
}

/** Why the UI must be (re)built, or undefined when dist/renderer is up to date. */
export function rendererBuildReason(root = projectRoot) {
  const index = path.join(root, 'dist', 'renderer', 'index.html');
  if (!existsSync(index)) return 'not built yet';
  const built = statSync(index).mtimeMs;
  const changed = SOURCES.find((s) => newestMtime(path.join(root, s)) > built);
  return changed ? `${changed} changed since the last build` : undefined;
}

/** `vite build` with this Node; returns its exit code and output. */
function viteBuild(root) {
  const vite = path.join(path.dirname(createRequire(path.join(root, 'package.json')).resolve('vite/package.json')), 'bin', 'vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'error'], { cwd: root, encoding: 'utf8' });
  return { status: r.status ?? 1, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

/**
 * Builds the UI when needed. Prints what it does and how long it took; on failure one line
 * with the build's first error. Returns true when dist/renderer is usable afterwards.
 */
export function ensureRendererBuilt({ root = projectRoot, out = console.log, build = viteBuild, now = Date.now } = {}) {
  const reason = rendererBuildReason(root);
  if (!reason) return true;
  out(`UI: building dist/renderer (${reason})…`);
  const started = now();
  let result;
  try {
    result = build(root);
  } catch (e) {
    result = { status: 1, output: e.message };
  }
  if (result.status === 0) {
    out(`UI: built in ${((now() - started) / 1000).toFixed(0)} s`);
    return true;
  }
  const first = result.output.split('\n').map((l) => l.trim()).find((l) => /error/i.test(l)) ?? result.output.trim().split('\n')[0] ?? `exit code ${result.status}`;
  out(`UI: the build failed (${first}); the API and boot files still start; run npm run build:renderer to see it all`);
  return false;
}
