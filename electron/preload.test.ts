import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { bundlePreload } from '../build/electron/bundle.mjs';
import { ipcChannels } from './ipc-channels.ts';

/**
 * Runs the real preload bundle (as the sandboxed renderer would load it) against a fake
 * `electron` module, and looks at what the page would get.
 */
async function loadPreload() {
  const code = await bundlePreload({ write: false });
  const exposed = new Map<string, Record<string, (...a: unknown[]) => unknown>>();
  const invoked: unknown[][] = [];
  const requested: string[] = [];
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: Record<string, (...a: unknown[]) => unknown>) => exposed.set(key, api) },
    ipcRenderer: { invoke: async (...args: unknown[]) => (invoked.push(args), 'answer'), send: () => {}, on: () => {} },
  };
  const sandboxRequire = (id: string) => {
    requested.push(id);
    if (id === 'electron') return electron;
    throw new Error(`module not found in the preload sandbox: ${id}`);
  };
  const module = { exports: {} };
  vm.runInNewContext(code!, { require: sandboxRequire, module, exports: module.exports });
  return { exposed, invoked, requested };
}

describe('preload bundle', () => {
  it('requires nothing but electron (a sandboxed preload has no other modules)', async () => {
    const { requested } = await loadPreload();
    expect(requested).toEqual(['electron']);
  });

  it('exposes window.dragonfly with one named function per operation and no ipcRenderer', async () => {
    const { exposed } = await loadPreload();
    expect([...exposed.keys()]).toEqual(['dragonfly']);
    const api = exposed.get('dragonfly')!;
    expect(Object.keys(api).sort()).toEqual(['getAppInfo', 'getSession', 'openExternal', 'revealDataDir']);
    for (const fn of Object.values(api)) expect(typeof fn).toBe('function');
    expect(JSON.stringify(Object.keys(api))).not.toMatch(/ipc|send|invoke/i);
  });

  it('sends each operation on its own channel with only its own arguments', async () => {
    const { exposed, invoked } = await loadPreload();
    const api = exposed.get('dragonfly')!;
    await api.getSession('ignored-extra');
    await api.openExternal('https://10.0.0.5/', 'extra');
    expect(invoked).toEqual([[ipcChannels.getSession], [ipcChannels.openExternal, 'https://10.0.0.5/']]);
  });
});
