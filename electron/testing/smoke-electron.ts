/**
 * A fake `electron` module for running the real bundled main process (dist/electron/main.js)
 * under plain Node: bundled to <tmp>/node_modules/electron/index.js and found through
 * NODE_PATH. It drives the app like a user would (wait for the window, use the session the
 * page got, quit) and prints what it saw as `SMOKE {json}` lines.
 */
import { existsSync } from 'node:fs';
import { fakeElectron } from './fake-electron.ts';

const { electron, rec } = fakeElectron();
const report = (o: object): void => void process.stdout.write(`SMOKE ${JSON.stringify(o)}\n`);
electron.app.exit = (code = 0) => {
  report({ event: 'exit', code });
  process.exit(code);
};
// Named exports become the CommonJS module's properties: require('electron').app etc.
export const { app, BrowserWindow, Tray, Menu, Notification, nativeImage, ipcMain, dialog, shell } = electron;

async function drive(): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!rec.windows[0]?.loaded.length) {
    if (rec.errorBoxes.length || Date.now() > deadline) return report({ event: 'failed', errorBoxes: rec.errorBoxes });
    await new Promise((r) => setTimeout(r, 50));
  }
  const [win] = rec.windows;
  const url = win.loaded[0];
  const cookie = rec.session.cookiesSet[0];
  const whoami = await fetch(new URL('/api/v1/auth/whoami', url), { headers: { cookie: `${cookie.name}=${cookie.value}` } });
  report({
    event: 'ready',
    url,
    whoami: whoami.status,
    userData: rec.paths.get('userData'),
    preloadExists: existsSync(win.options.webPreferences.preload ?? ''),
    tray: { image: rec.trays[0]?.image, imageExists: existsSync(rec.trays[0]?.image ?? ''), toolTip: rec.trays[0]?.toolTip },
    appMenu: rec.appMenu?.map((m) => m.label ?? m.role),
  });
  rec.beforeQuit();
}
setTimeout(() => void drive(), 0);
