import { discardLogger, type Logger } from '../core/shared/logger.ts';
import type { Notification } from '../core/workflow/workflow-service.ts';
import { dataDirFor } from './app-paths.ts';
import type { DesktopHost } from './control-plane-host.ts';
import type { BrowserWindowLike, ElectronMain } from './electron-api.ts';
import { registerIpc } from './ipc.ts';
import { createMainWindow, setSessionCookie } from './main-window.ts';
import { appMenuTemplate, type MenuActions } from './menu.ts';
import { NotificationPolicy, type NativeNotice } from './notifications.ts';
import { TrayController } from './tray-controller.ts';
import { emptyFleet, hardwareState, reduceFleet, trayView, type ChangeEventLike, type FleetModel } from './tray-state.ts';

/**
 * The desktop app's life: one instance, the control plane in-process, one window, a tray,
 * notifications, and a quit that waits for the services to stop and the store to flush.
 * Takes the Electron module as a parameter, so all of it runs under Node with a fake.
 */
export interface DesktopDeps {
  electron: ElectronMain;
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  home: string;
  /** Bundled preload (dist/electron/preload.cjs). */
  preloadPath: string;
  /** assets/icons (tray-*.png, dragonfly.png). */
  iconsDir: string;
  devTools: boolean;
  startHost(dataDir: string): Promise<DesktopHost>;
  logger?: Logger;
  now?: () => number;
  /** How long quitting waits for the control plane to close. Default 15 000 ms. */
  quitTimeoutMs?: number;
}

export interface DesktopRuntime {
  dataDir: string;
  host: DesktopHost;
  window(): BrowserWindowLike | undefined;
  tray: TrayController;
  /** What the tray shows now (the e2e suite reads it through the main process). */
  trayView(): ReturnType<typeof trayView>;
}

/** Returns undefined when another instance already runs (this one then quits). */
export async function runDesktop(deps: DesktopDeps): Promise<DesktopRuntime | undefined> {
  const { app } = deps.electron;
  const log = deps.logger ?? discardLogger;
  if (!app.requestSingleInstanceLock()) {
    log.info({}, 'Dragonfly is already running; focusing that window instead');
    app.quit();
    return undefined;
  }
  const dataDir = dataDirFor({ platform: deps.platform, env: deps.env, home: deps.home });
  // Electron's own profile (cookies, cache) beside the store: one folder per user, the same
  // one `dragonfly serve` uses.
  app.setPath('userData', dataDir);
  if (deps.platform === 'win32') app.setAppUserModelId('computer.dragonfly.app'); // notifications need it on Windows
  let showWindow: () => void = () => {}; // a second instance before we are ready: the window comes anyway
  app.on('second-instance', () => showWindow());
  await app.whenReady();

  let host: DesktopHost;
  try {
    host = await deps.startHost(dataDir);
  } catch (e) {
    const message = (e as Error).message;
    log.error({ err: message }, 'the control plane did not start');
    deps.electron.dialog.showErrorBox('Dragonfly could not start', `${message}\n\nData folder: ${dataDir}`);
    app.exit(1);
    return undefined;
  }
  return startUi(deps, log, dataDir, host, (fn) => (showWindow = fn));
}

async function startUi(deps: DesktopDeps, log: Logger, dataDir: string, host: DesktopHost, setShow: (fn: () => void) => void): Promise<DesktopRuntime> {
  const { electron } = deps;
  const { app } = electron;
  const origin = host.url;
  let win: BrowserWindowLike | undefined;

  const openWindow = () => {
    if (win && !win.isDestroyed()) {
      if (win.isMinimized()) win.restore();
      win.show();
      win.focus();
      return;
    }
    const created = createMainWindow(electron, {
      origin,
      preload: deps.preloadPath,
      icon: `${deps.iconsDir}/dragonfly.png`,
      devTools: deps.devTools,
      session: host.adminSession(),
      log,
    });
    const w = created.win;
    win = w;
    w.on('closed', () => {
      if (win === w) win = undefined;
    });
    created.loaded.catch((e) => log.error({ err: (e as Error).message }, 'the UI did not load'));
  };
  setShow(openWindow);
  app.on('activate', openWindow); // macOS: a click on the dock icon brings the window back

  const actions: MenuActions = {
    showWindow: openWindow,
    revealDataDir: () => void electron.shell.openPath(dataDir),
    openInBrowser: () => void electron.shell.openExternal(`${origin}/`),
    openApiReference: () => void electron.shell.openExternal(`${origin}/api/v1/openapi.json`),
    quit: () => app.quit(),
  };
  electron.Menu.setApplicationMenu(electron.Menu.buildFromTemplate(appMenuTemplate(deps.platform, deps.devTools, actions)));

  const unregisterIpc = registerIpc(
    electron.ipcMain,
    origin,
    {
      getSession: async () => {
        const s = host.adminSession();
        if (win && !win.isDestroyed()) await setSessionCookie(win.webContents.session, origin, s); // keep the cookie as fresh as the token
        return { token: s.token };
      },
      getAppInfo: async () => ({ version: app.getVersion(), platform: deps.platform, dataDir, packaged: app.isPackaged }),
      openExternal: (url) => electron.shell.openExternal(url),
      revealDataDir: async () => void (await electron.shell.openPath(dataDir)),
    },
    log,
  );

  const tray = new TrayController(electron, deps.iconsDir, actions);
  const fleet = await wireFleet(deps, log, host, tray, openWindow);

  installQuit(deps, log, host, () => {
    fleet.stop();
    unregisterIpc();
    tray.destroy();
  });

  openWindow();
  return { dataDir, host, window: () => win, tray, trayView: () => trayView(fleet.model()) };
}

/** Store changes → tray; control plane notifications → native notifications (rate-limited). */
async function wireFleet(deps: DesktopDeps, log: Logger, host: DesktopHost, tray: TrayController, openWindow: () => void) {
  const now = deps.now ?? Date.now;
  const policy = new NotificationPolicy();
  const names = new Map<string, string>();
  let model: FleetModel = emptyFleet;
  let timer: NodeJS.Timeout | undefined;

  const show = (notices: NativeNotice[]) => {
    if (notices.length > 0 && !deps.electron.Notification.isSupported()) return;
    for (const n of notices) {
      const toast = new deps.electron.Notification({ title: n.title, body: n.body, icon: `${deps.iconsDir}/dragonfly.png` });
      toast.on('click', openWindow);
      toast.show();
    }
    schedule();
  };
  const schedule = () => {
    const at = policy.nextFlushAt();
    if (at === undefined || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      show(policy.flush(now()));
    }, Math.max(0, at - now()));
    timer.unref?.();
  };
  const apply = (e: ChangeEventLike, live: boolean) => {
    model = reduceFleet(model, e);
    if (e.kind !== 'Hardware') return;
    const name = e.object.metadata.name;
    const displayName = (e.object.spec as { displayName?: string } | undefined)?.displayName;
    if (displayName) names.set(name, displayName);
    const state = hardwareState(e.object);
    if (e.type === 'DELETED') policy.forget(name);
    else if (state && !live) policy.seed(name, state);
    else if (state) show(policy.track(name, state, now()));
  };

  // Changes that arrive while the snapshot is folded in wait, so the older snapshot never
  // overwrites a newer change.
  let pending: ChangeEventLike[] | undefined = [];
  const watch = await host.watchFleet((e) => {
    if (pending) pending.push(e);
    else {
      apply(e, true);
      tray.update(trayView(model));
    }
  });
  for (const e of watch.initial) apply(e, false);
  for (const e of pending) apply(e, true);
  pending = undefined;
  tray.update(trayView(model));

  const offNotification = host.onNotification((n: Notification) => {
    const state = n.level === 'info' ? 'Ready' : 'Error';
    show(policy.observe({ machine: n.machine, state, title: n.title, detail: n.body, displayName: names.get(n.machine) }, now()));
  });
  log.debug({ machines: model.machines.size }, 'tray following the fleet');
  return {
    model: () => model,
    stop: () => {
      watch.stop();
      offNotification();
      if (timer) clearTimeout(timer);
    },
  };
}

/**
 * Quit waits for the control plane: before-quit is cancelled once, services close (DHCP/TFTP
 * unbound, HTTP closed, store flushed), then app.exit ends the process without re-entering.
 */
function installQuit(deps: DesktopDeps, log: Logger, host: DesktopHost, teardownUi: () => void): void {
  const { app } = deps.electron;
  let closing = false;
  app.on('before-quit', (event) => {
    event.preventDefault();
    if (closing) return;
    closing = true;
    teardownUi();
    void closeWithin(host, deps.quitTimeoutMs ?? 15_000).then((outcome) => {
      if (outcome !== 'closed') log.error({ outcome }, 'the control plane did not close cleanly');
      app.exit(outcome === 'closed' ? 0 : 1);
    });
  });
  // With the window gone there is nothing to look at on Linux/Windows: quit (and stop the
  // services). macOS apps stay in the dock until Cmd+Q.
  app.on('window-all-closed', () => {
    if (deps.platform !== 'darwin') app.quit();
  });
}

async function closeWithin(host: DesktopHost, ms: number): Promise<'closed' | 'failed' | 'timed out'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timed out'>((resolve) => (timer = setTimeout(() => resolve('timed out'), ms)));
  try {
    return await Promise.race([host.close().then(() => 'closed' as const, () => 'failed' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
