/**
 * The preload: runs in an isolated world of the sandboxed renderer and hands the page one
 * named function per operation. The page never sees ipcRenderer, so it cannot send on a
 * channel of its choosing; main-side ipc.ts still checks every message in case it does.
 *
 * Bundled to CommonJS (build/electron/bundle.mjs) because a sandboxed preload gets only a
 * tiny `require` ('electron' among a few) and no ES modules.
 */
import { ipcChannels, type DragonflyDesktopBridge } from './ipc-channels.ts';

/** The two preload APIs used, typed by hand (see electron-api.ts for why). */
interface PreloadElectron {
  contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
  ipcRenderer: { invoke(channel: string, ...args: unknown[]): Promise<never> };
}

// A plain require, not an import: the bundle is CommonJS and 'electron' stays external.
const { contextBridge, ipcRenderer } = require('electron') as PreloadElectron;

const bridge: DragonflyDesktopBridge = {
  getSession: () => ipcRenderer.invoke(ipcChannels.getSession),
  getAppInfo: () => ipcRenderer.invoke(ipcChannels.getAppInfo),
  openExternal: (url: string) => ipcRenderer.invoke(ipcChannels.openExternal, url),
  revealDataDir: () => ipcRenderer.invoke(ipcChannels.revealDataDir),
};

contextBridge.exposeInMainWorld('dragonfly', bridge);
