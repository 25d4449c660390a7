/**
 * Electron main process entry: the only file that touches the real `electron` module.
 * Everything it does is in desktop-app.ts (tested under Node with a fake Electron).
 * Bundled by build/electron/bundle.mjs to dist/electron/main.js (ESM); run by `npm start`.
 */
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../core/app/logging.ts';
import { resourcePaths, startControlPlaneHost } from './control-plane-host.ts';
import { runDesktop } from './desktop-app.ts';
import type { ElectronMain } from './electron-api.ts';

// require, not import: the electron package's types are absent where its binary could not be
// downloaded; electron-api.ts types the subset used (see there).
const electron = createRequire(import.meta.url)('electron') as ElectronMain;
const here = path.dirname(fileURLToPath(import.meta.url)); // <app>/dist/electron
const appRoot = path.resolve(here, '..', '..');
const log = createLogger(process.env.DRAGONFLY_LOG_LEVEL ?? 'info');
const packaged = electron.app.isPackaged;
// Electron adds process.resourcesPath (<install>/resources); Node's types do not know it.
const resourcesPath = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath ?? appRoot;

void runDesktop({
  electron,
  platform: process.platform,
  env: process.env,
  home: homedir(),
  preloadPath: path.join(here, 'preload.cjs'),
  iconsDir: path.join(appRoot, 'assets', 'icons'),
  devTools: !packaged || process.env.DRAGONFLY_DEVTOOLS === '1',
  logger: log,
  startHost: (dataDir) =>
    startControlPlaneHost({
      dataDir,
      env: process.env,
      logger: log,
      uiDir: path.join(appRoot, 'dist', 'renderer'),
      // Packaged: iPXE binaries and the agent image sit in resources/ (extraResources), outside the asar.
      ...(packaged ? { resources: resourcePaths(resourcesPath) } : {}),
    }),
}).then((runtime) => {
  // For the Playwright _electron suite, which reads the tray state from the main process.
  (globalThis as { dragonflyDesktop?: unknown }).dragonflyDesktop = runtime && {
    url: runtime.host.url,
    trayToolTip: () => runtime.tray.current()?.tooltip,
    trayAlive: () => runtime.tray.isAlive(),
  };
});
