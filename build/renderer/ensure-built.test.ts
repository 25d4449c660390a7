import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureRendererBuilt, rendererBuildReason } from './ensure-built.mjs';

const root = mkdtempSync(join(tmpdir(), 'df-ui-build-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A checkout with renderer sources dated `srcAge` seconds ago and, optionally, a build dated `builtAge` ago. */
function checkout(srcAge: number, builtAge?: number) {
  const dir = join(root, `c${++n}`);
  mkdirSync(join(dir, 'renderer/src/features'), { recursive: true });
  const src = join(dir, 'renderer/src/features/view.tsx');
  writeFileSync(src, 'export {}');
  const at = (s: number) => new Date(Date.now() - s * 1000);
  utimesSync(src, at(srcAge), at(srcAge));
  for (const d of ['renderer/src/features', 'renderer/src', 'renderer']) utimesSync(join(dir, d), at(srcAge), at(srcAge));
  if (builtAge !== undefined) {
    mkdirSync(join(dir, 'dist/renderer'), { recursive: true });
    writeFileSync(join(dir, 'dist/renderer/index.html'), '<!doctype html>');
    utimesSync(join(dir, 'dist/renderer/index.html'), at(builtAge), at(builtAge));
  }
  return dir;
}

describe('the UI on first start', () => {
  it('builds when missing or older than its sources, not when up to date', () => {
    expect(rendererBuildReason(checkout(100))).toBe('not built yet');
    expect(rendererBuildReason(checkout(10, 100))).toBe('renderer/src changed since the last build');
    expect(rendererBuildReason(checkout(100, 10))).toBeUndefined();
  });

  it('says why it builds and how long it took', () => {
    const lines: string[] = [];
    let t = 0;
    const built: string[] = [];
    const ok = ensureRendererBuilt({ root: checkout(100), out: (l) => lines.push(l), now: () => (t += 21_000), build: (r) => (built.push(r), { status: 0, output: '' }) });
    expect(ok).toBe(true);
    expect(built).toHaveLength(1);
    expect(lines).toEqual(['UI: building dist/renderer (not built yet)…', 'UI: built in 21 s']);
  });

  it('a failed build is one line with its error, and does not stop the start', () => {
    const lines: string[] = [];
    const ok = ensureRendererBuilt({
      root: checkout(100),
      out: (l) => lines.push(l),
      build: () => ({ status: 1, output: 'vite v8\ntransforming...\n✗ Build failed\nerror during build: [vite]: Rollup failed to resolve import "zustand"\n    at x (y.js:1:1)\n' }),
    });
    expect(ok).toBe(false);
    expect(lines.at(-1)).toBe('UI: the build failed (error during build: [vite]: Rollup failed to resolve import "zustand"); the API and boot files still start; run npm run build:renderer to see it all');
  });

  it('does nothing when the build is newer than every source', () => {
    const lines: string[] = [];
    expect(ensureRendererBuilt({ root: checkout(100, 10), out: (l) => lines.push(l), build: () => { throw new Error('must not build'); } })).toBe(true);
    expect(lines).toEqual([]);
  });
});
