import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** `npm start` (bin/start.mjs): Electron when its binary exists, else the headless server. */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const startPath = path.join(root, 'bin', 'start.mjs');
type Launcher = { findElectronBinary(require: unknown): string | undefined };
const load = async (): Promise<Launcher> => (await import(startPath)) as Launcher;
const electronHere = (await load()).findElectronBinary(undefined) !== undefined;

function fakeRequire(result: () => unknown) {
  return Object.assign(() => result(), { resolve: () => '/x/node_modules/electron/index.js' });
}

describe('bin/start.mjs', () => {
  it('finds the Electron binary only when the package resolves and the file exists', async () => {
    const { findElectronBinary } = await load();
    const dir = mkdtempSync(path.join(tmpdir(), 'df-start-'));
    try {
      const bin = path.join(dir, 'electron');
      writeFileSync(bin, '');
      expect(findElectronBinary(fakeRequire(() => bin))).toBe(bin);
      expect(findElectronBinary(fakeRequire(() => path.join(dir, 'missing')))).toBeUndefined();
      expect(findElectronBinary(fakeRequire(() => { throw new Error('Electron failed to install correctly'); }))).toBeUndefined();
      expect(findElectronBinary(Object.assign(() => bin, { resolve: () => { throw new Error("Cannot find module 'electron'"); } }))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(electronHere)('says so in one line and runs `dragonfly serve` with the same arguments when Electron is missing (skipped where Electron is installed: there npm start opens the app)', () => {
    const r = spawnSync(process.execPath, [startPath, '--help'], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Electron is not installed here; starting the headless control plane instead');
    expect(lines.filter((l) => l.includes('Electron is not installed'))).toHaveLength(1);
    expect(r.stdout).toContain('Usage: dragonfly serve');
    expect(r.status).toBe(0);
  });
});
