import { EventEmitter } from 'node:events';
import type {
  BrowserWindowLike,
  BrowserWindowOptionsLike,
  ElectronMain,
  HeadersReceivedDetails,
  IpcMainInvokeEventLike,
  MenuItemTemplate,
  SessionLike,
} from '../electron-api.ts';

/**
 * A stand-in for Electron's main-process module, recording what the app asked of it, for
 * running desktop-app.ts under Node where the Electron binary cannot be installed.
 */
export class FakeSession implements SessionLike {
  headersListener?: (d: HeadersReceivedDetails, cb: (r: { responseHeaders?: Record<string, string[]> }) => void) => void;
  requestHandler?: (wc: unknown, permission: string, cb: (granted: boolean) => void, details: { requestingUrl?: string }) => void;
  checkHandler?: (wc: unknown, permission: string, origin: string) => boolean;
  cookiesSet: Array<{ url: string; name: string; value: string; httpOnly?: boolean; sameSite?: string }> = [];
  webRequest = { onHeadersReceived: (l: FakeSession['headersListener']) => void (this.headersListener = l) };
  setPermissionRequestHandler(h: FakeSession['requestHandler']) {
    this.requestHandler = h;
  }
  setPermissionCheckHandler(h: FakeSession['checkHandler']) {
    this.checkHandler = h;
  }
  cookies = { set: async (c: FakeSession['cookiesSet'][number]) => void this.cookiesSet.push(c) };
}

export class FakeWebContents extends EventEmitter {
  openHandler?: (d: { url: string }) => { action: 'deny' } | { action: 'allow' };
  constructor(readonly session: FakeSession) {
    super();
  }
  setWindowOpenHandler(h: FakeWebContents['openHandler']) {
    this.openHandler = h;
  }
  /** Simulates a navigation attempt; true when the app let it happen. */
  navigate(url: string, event: 'will-navigate' | 'will-redirect' = 'will-navigate'): boolean {
    let prevented = false;
    this.emit(event, { preventDefault: () => (prevented = true) }, url);
    return !prevented;
  }
}

export class FakeWindow extends EventEmitter implements BrowserWindowLike {
  loaded: string[] = [];
  shown = 0;
  focused = 0;
  destroyed = false;
  minimized = false;
  webContents: FakeWebContents;
  constructor(readonly options: BrowserWindowOptionsLike, session: FakeSession) {
    super();
    this.webContents = new FakeWebContents(session);
  }
  async loadURL(url: string) {
    this.loaded.push(url);
    this.emit('ready-to-show');
  }
  show() {
    this.shown += 1;
  }
  focus() {
    this.focused += 1;
  }
  restore() {
    this.minimized = false;
  }
  isMinimized() {
    return this.minimized;
  }
  isDestroyed() {
    return this.destroyed;
  }
  close() {
    this.destroyed = true;
    this.emit('closed');
  }
}

export class FakeTray extends EventEmitter {
  image: string;
  toolTip = '';
  menu: unknown;
  destroyed = false;
  constructor(image: string) {
    super();
    this.image = image;
  }
  setImage(i: string) {
    this.image = i;
  }
  setToolTip(t: string) {
    this.toolTip = t;
  }
  setContextMenu(m: unknown) {
    this.menu = m;
  }
  destroy() {
    this.destroyed = true;
  }
  isDestroyed() {
    return this.destroyed;
  }
}

export function fakeElectron(opts: { lock?: boolean } = {}) {
  const session = new FakeSession();
  const appEvents = new EventEmitter();
  const rec = {
    session,
    windows: [] as FakeWindow[],
    trays: [] as FakeTray[],
    notifications: [] as Array<{ title: string; body: string }>,
    handlers: new Map<string, (e: IpcMainInvokeEventLike, ...a: unknown[]) => unknown>(),
    appMenu: undefined as MenuItemTemplate[] | undefined,
    paths: new Map<string, string>(),
    opened: [] as string[],
    errorBoxes: [] as string[],
    quitCalls: 0,
    exitCodes: [] as number[],
    appEvents,
    /** Fires before-quit as Electron does; true when the app let the quit proceed. */
    beforeQuit(): boolean {
      let prevented = false;
      appEvents.emit('before-quit', { preventDefault: () => (prevented = true) });
      return !prevented;
    },
  };
  const electron: ElectronMain = {
    app: {
      requestSingleInstanceLock: () => opts.lock ?? true,
      quit: () => void (rec.quitCalls += 1),
      exit: (code = 0) => void rec.exitCodes.push(code),
      whenReady: async () => {},
      getPath: (name) => rec.paths.get(name) ?? `/fake/${name}`,
      setPath: (name, p) => void rec.paths.set(name, p),
      getVersion: () => '0.1.0',
      getAppPath: () => '/fake/app',
      isPackaged: false,
      setAppUserModelId: () => {},
      on: ((event: string, listener: (...a: unknown[]) => void) => void appEvents.on(event, listener)) as ElectronMain['app']['on'],
    },
    BrowserWindow: class {
      constructor(o: BrowserWindowOptionsLike) {
        const w = new FakeWindow(o, session);
        rec.windows.push(w);
        return w;
      }
    } as unknown as ElectronMain['BrowserWindow'],
    Tray: class {
      constructor(image: string) {
        const t = new FakeTray(image);
        rec.trays.push(t);
        return t;
      }
    } as unknown as ElectronMain['Tray'],
    Menu: {
      buildFromTemplate: (t) => ({ template: t }),
      setApplicationMenu: (m) => void (rec.appMenu = (m as { template: MenuItemTemplate[] }).template),
    },
    Notification: Object.assign(
      class {
        constructor(private readonly o: { title: string; body: string }) {}
        on() {}
        show() {
          rec.notifications.push({ title: this.o.title, body: this.o.body });
        }
      },
      { isSupported: () => true },
    ) as unknown as ElectronMain['Notification'],
    nativeImage: { createFromPath: () => ({ isEmpty: () => false }) },
    ipcMain: {
      handle: (c, fn) => void rec.handlers.set(c, fn),
      removeHandler: (c) => void rec.handlers.delete(c),
    },
    dialog: { showErrorBox: (title, content) => void rec.errorBoxes.push(`${title}: ${content}`) },
    shell: {
      openExternal: async (u) => void rec.opened.push(u),
      openPath: async (p) => (rec.opened.push(p), ''),
    },
  };
  return { electron, rec };
}
