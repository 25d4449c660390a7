/**
 * The slice of Electron's main-process API that the desktop shell uses, written out by hand.
 *
 * Why not `import type ... from 'electron'`: the electron package is an optional dependency whose
 * postinstall downloads the binary, so on machines where that download is blocked it is absent
 * and its types with it. Coding against this interface keeps `tsc` green everywhere and lets
 * the wiring in desktop-app.ts run under Node with a fake. main.ts casts the real module to it;
 * the names and signatures below are Electron's own (a subset), so the cast is honest.
 */

export interface WebPreferencesLike {
  preload?: string;
  contextIsolation: boolean;
  sandbox: boolean;
  nodeIntegration: boolean;
  nodeIntegrationInWorker: boolean;
  nodeIntegrationInSubFrames: boolean;
  webSecurity: boolean;
  allowRunningInsecureContent: boolean;
  webviewTag: boolean;
  experimentalFeatures: boolean;
  navigateOnDragDrop: boolean;
  spellcheck: boolean;
  devTools: boolean;
}

export interface BrowserWindowOptionsLike {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  title: string;
  show: boolean;
  icon?: string;
  backgroundColor: string;
  webPreferences: WebPreferencesLike;
}

export interface ElectronEventLike {
  preventDefault(): void;
}

export interface HeadersReceivedDetails {
  url: string;
  resourceType?: string;
  responseHeaders?: Record<string, string[]>;
}

export interface SessionLike {
  webRequest: {
    onHeadersReceived(
      listener: (details: HeadersReceivedDetails, callback: (response: { responseHeaders?: Record<string, string[]>; cancel?: boolean }) => void) => void,
    ): void;
  };
  setPermissionRequestHandler(
    handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void, details: { requestingUrl?: string }) => void,
  ): void;
  setPermissionCheckHandler(handler: (webContents: unknown, permission: string, requestingOrigin: string) => boolean): void;
  cookies: {
    set(details: { url: string; name: string; value: string; httpOnly?: boolean; secure?: boolean; sameSite?: 'unspecified' | 'no_restriction' | 'lax' | 'strict'; expirationDate?: number }): Promise<void>;
  };
}

export interface WebContentsLike {
  session: SessionLike;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' } | { action: 'allow' }): void;
  on(event: 'will-navigate' | 'will-redirect', listener: (event: ElectronEventLike, url: string) => void): void;
  on(event: 'will-attach-webview', listener: (event: ElectronEventLike) => void): void;
  on(event: 'render-process-gone', listener: (event: unknown, details: { reason: string }) => void): void;
}

export interface BrowserWindowLike {
  webContents: WebContentsLike;
  loadURL(url: string): Promise<void>;
  show(): void;
  focus(): void;
  restore(): void;
  isMinimized(): boolean;
  isDestroyed(): boolean;
  once(event: 'ready-to-show', listener: () => void): void;
  on(event: 'closed', listener: () => void): void;
}

export interface NativeImageLike {
  isEmpty(): boolean;
}

export interface TrayLike {
  setImage(image: NativeImageLike | string): void;
  setToolTip(toolTip: string): void;
  setContextMenu(menu: MenuLike | null): void;
  on(event: 'click', listener: () => void): void;
  destroy(): void;
  isDestroyed(): boolean;
}

/** Electron's MenuItemConstructorOptions, the subset menu.ts builds. */
export interface MenuItemTemplate {
  label?: string;
  role?: string;
  type?: 'normal' | 'separator' | 'submenu';
  accelerator?: string;
  enabled?: boolean;
  click?: () => void;
  submenu?: MenuItemTemplate[];
}

export type MenuLike = object;

export interface IpcMainInvokeEventLike {
  senderFrame: { url: string; parent: unknown } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface NotificationLike {
  show(): void;
  on(event: 'click', listener: () => void): void;
}

export interface AppLike {
  requestSingleInstanceLock(): boolean;
  quit(): void;
  exit(code?: number): void;
  whenReady(): Promise<void>;
  getPath(name: 'userData' | 'home' | 'appData'): string;
  setPath(name: 'userData', path: string): void;
  getVersion(): string;
  getAppPath(): string;
  isPackaged: boolean;
  setAppUserModelId(id: string): void;
  on(event: 'second-instance', listener: () => void): void;
  on(event: 'before-quit', listener: (event: ElectronEventLike) => void): void;
  on(event: 'window-all-closed' | 'activate', listener: () => void): void;
}

/** The module object main.ts receives from `import('electron')`. */
export interface ElectronMain {
  app: AppLike;
  BrowserWindow: new (options: BrowserWindowOptionsLike) => BrowserWindowLike;
  Tray: new (image: NativeImageLike | string) => TrayLike;
  Menu: {
    buildFromTemplate(template: MenuItemTemplate[]): MenuLike;
    setApplicationMenu(menu: MenuLike | null): void;
  };
  Notification: (new (options: { title: string; body: string; icon?: string; silent?: boolean }) => NotificationLike) & {
    isSupported(): boolean;
  };
  nativeImage: { createFromPath(path: string): NativeImageLike };
  ipcMain: IpcMainLike;
  dialog: { showErrorBox(title: string, content: string): void };
  shell: { openExternal(url: string): Promise<void>; openPath(path: string): Promise<string> };
}
