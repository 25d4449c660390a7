import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleElectron } from '../build/electron/bundle.mjs';

/**
 * The real bundled main process, started under Node with a fake `electron` module (the
 * binary cannot be downloaded here): proves the bundle loads, hosts the control plane, opens
 * the window signed in, paints the tray, and on quit stops everything and exits 0.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist', `electron-smoke-${process.pid}`);
const tmp = mkdtempSync(path.join(tmpdir(), 'df-electron-smoke-'));

beforeAll(async () => {
  await bundleElectron({ outDir });
  await build({
    entryPoints: [path.join(root, 'electron/testing/smoke-electron.ts')],
    outfile: path.join(tmp, 'node_modules', 'electron', 'index.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'warning',
  });
}, 60_000);

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

function runMain(dataDir: string): Promise<{ lines: Array<Record<string, unknown>>; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(outDir, 'main.js')], {
      cwd: root,
      env: {
        ...process.env,
        NODE_PATH: path.join(tmp, 'node_modules'),
        DRAGONFLY_DATA_DIR: dataDir,
        DRAGONFLY_HTTP_PORT: '0',
        DRAGONFLY_LISTEN: '127.0.0.1',
        DRAGONFLY_TFTP_PORT: '0',
        DRAGONFLY_DHCP_MODE: 'off',
        DRAGONFLY_LOG_LEVEL: 'warn',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const lines = stdout.split('\n').filter((l) => l.startsWith('SMOKE ')).map((l) => JSON.parse(l.slice(6)));
      resolve({ lines, code, stderr });
    });
  });
}

describe('dist/electron/main.js under a fake Electron', () => {
  it('starts the control plane, opens the signed-in window and the tray, and quits cleanly', async () => {
    const dataDir = path.join(tmp, 'data');
    const { lines, code, stderr } = await runMain(dataDir);
    const ready = lines.find((l) => l.event === 'ready');
    expect(ready, `no ready line; stderr:\n${stderr}`).toBeDefined();
    expect(ready).toMatchObject({
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/$/),
      whoami: 200,
      userData: dataDir,
      preloadExists: true,
      tray: { image: path.join(root, 'assets/icons/tray-idle.png'), imageExists: true, toolTip: 'Dragonfly — idle, no machines yet' },
      appMenu: ['File', 'editMenu', 'View', 'windowMenu', 'help'],
    });
    expect(lines.at(-1)).toEqual({ event: 'exit', code: 0 });
    expect(code).toBe(0);
    // The default (lowdb) store was written into the desktop's data folder.
    expect(existsSync(dataDir) && readdirSync(dataDir).length).toBeGreaterThan(0);
  });
});
