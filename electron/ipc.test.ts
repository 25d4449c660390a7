import { describe, expect, it, vi } from 'vitest';
import type { IpcMainInvokeEventLike } from './electron-api.ts';
import { argumentProblem, guardedHandler, registerIpc, senderProblem, type DesktopOperations } from './ipc.ts';
import { ipcChannels } from './ipc-channels.ts';

const origin = 'http://127.0.0.1:8080';
const fromUi: IpcMainInvokeEventLike = { senderFrame: { url: 'http://127.0.0.1:8080/machines', parent: null } };
const fromEvil: IpcMainInvokeEventLike = { senderFrame: { url: 'https://evil.example/', parent: null } };
const fromSubFrame: IpcMainInvokeEventLike = { senderFrame: { url: 'http://127.0.0.1:8080/frame', parent: {} } };
const fromGoneFrame: IpcMainInvokeEventLike = { senderFrame: null };

function fakeOps(): DesktopOperations & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    getSession: async () => (calls.push('getSession'), { token: 'sess-1' }),
    getAppInfo: async () => (calls.push('getAppInfo'), { version: '0.1.0', platform: 'linux', dataDir: '/d', packaged: false }),
    openExternal: async (url) => void calls.push(`openExternal ${url}`),
    revealDataDir: async () => void calls.push('revealDataDir'),
  };
}

describe('senderProblem', () => {
  it('accepts the control plane page in the top frame', () => {
    expect(senderProblem(fromUi, origin)).toBeUndefined();
  });

  it('refuses another origin, a sub-frame and a frame that is gone', () => {
    expect(senderProblem(fromEvil, origin)).toBe('the sender https://evil.example is not the control plane');
    expect(senderProblem(fromSubFrame, origin)).toBe('the message came from a sub-frame');
    expect(senderProblem(fromGoneFrame, origin)).toBe('the sending frame is gone');
    expect(senderProblem({ senderFrame: { url: 'file:///app/index.html', parent: null } }, origin)).toMatch(/not the control plane/);
  });
});

describe('argumentProblem', () => {
  it('accepts exactly the declared arguments', () => {
    expect(argumentProblem('getSession', [])).toBeUndefined();
    expect(argumentProblem('openExternal', ['https://10.0.0.5/'])).toBeUndefined();
  });

  it('refuses extra, missing or mistyped arguments', () => {
    expect(argumentProblem('getSession', ['x'])).toMatch(/^getSession: arguments rejected/);
    expect(argumentProblem('openExternal', [])).toMatch(/^openExternal: arguments rejected/);
    expect(argumentProblem('openExternal', [{ url: 'https://a' }])).toMatch(/arguments rejected/);
    expect(argumentProblem('openExternal', ['x'.repeat(2049)])).toMatch(/arguments rejected/);
  });
});

describe('guardedHandler', () => {
  it('answers the UI with a session token', async () => {
    const ops = fakeOps();
    await expect(guardedHandler('getSession', origin, ops)(fromUi)).resolves.toEqual({ token: 'sess-1' });
  });

  it('never runs the operation for a foreign sender', async () => {
    const ops = fakeOps();
    await expect(guardedHandler('getSession', origin, ops)(fromEvil)).rejects.toMatchObject({ code: 'DF_ERR_FORBIDDEN' });
    await expect(guardedHandler('revealDataDir', origin, ops)(fromSubFrame)).rejects.toMatchObject({ code: 'DF_ERR_FORBIDDEN' });
    expect(ops.calls).toEqual([]);
  });

  it('never runs the operation with bad arguments', async () => {
    const ops = fakeOps();
    await expect(guardedHandler('openExternal', origin, ops)(fromUi, 42)).rejects.toMatchObject({ code: 'DF_ERR_INVALID' });
    await expect(guardedHandler('getAppInfo', origin, ops)(fromUi, 'extra')).rejects.toMatchObject({ code: 'DF_ERR_INVALID' });
    expect(ops.calls).toEqual([]);
  });

  it('opens only http(s) links without credentials', async () => {
    const ops = fakeOps();
    const open = guardedHandler('openExternal', origin, ops);
    await open(fromUi, 'https://10.0.0.5/');
    await expect(open(fromUi, 'file:///etc/passwd')).rejects.toThrow('only http(s) links without credentials');
    await expect(open(fromUi, 'https://root:calvin@10.0.0.5/')).rejects.toMatchObject({ code: 'DF_ERR_INVALID' });
    expect(ops.calls).toEqual(['openExternal https://10.0.0.5/']);
  });
});

describe('registerIpc', () => {
  it('registers one guarded handler per channel and removes them all', async () => {
    const handlers = new Map<string, (e: IpcMainInvokeEventLike, ...a: unknown[]) => unknown>();
    const ipcMain = { handle: vi.fn((c: string, fn) => void handlers.set(c, fn)), removeHandler: vi.fn((c: string) => void handlers.delete(c)) };
    const unregister = registerIpc(ipcMain, origin, fakeOps());
    expect([...handlers.keys()].sort()).toEqual(Object.values(ipcChannels).sort());
    await expect(handlers.get(ipcChannels.getSession)!(fromEvil)).rejects.toMatchObject({ code: 'DF_ERR_FORBIDDEN' });
    unregister();
    expect(handlers.size).toBe(0);
  });
});
