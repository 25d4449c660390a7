/**
 * Channel names shared by the preload (renderer side) and ipc.ts (main side). No imports:
 * the sandboxed preload bundles this file and nothing else.
 */
export const ipcChannels = {
  getSession: 'dragonfly:get-session',
  getAppInfo: 'dragonfly:get-app-info',
  openExternal: 'dragonfly:open-external',
  revealDataDir: 'dragonfly:reveal-data-dir',
} as const;

export type IpcOperation = keyof typeof ipcChannels;

/** What `window.dragonfly` offers the page (renderer code may copy this declaration). */
export interface DragonflyDesktopBridge {
  /** A session token for the local operator (the desktop app is already signed in). */
  getSession(): Promise<{ token: string }>;
  getAppInfo(): Promise<{ version: string; platform: string; dataDir: string; packaged: boolean }>;
  /** Opens an http(s) link (a BMC's web console) in the system browser. */
  openExternal(url: string): Promise<void>;
  /** Shows the data folder (store, logs) in the file manager. */
  revealDataDir(): Promise<void>;
}
