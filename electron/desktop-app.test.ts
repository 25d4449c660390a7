import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Notification } from '../core/workflow/workflow-service.ts';
import type { DesktopHost } from './control-plane-host.ts';
import { runDesktop, type DesktopDeps } from './desktop-app.ts';
import { ipcChannels } from './ipc-channels.ts';
import { fakeElectron } from './testing/fake-electron.ts';
import type { ChangeEventLike } from './tray-state.ts';

const origin = 'http://127.0.0.1:8080';

function machine(name: string, state: string, type: ChangeEventLike['type'] = 'ADDED'): ChangeEventLike {
  const displayName = name.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join(' ');
  return { type, kind: 'Hardware', object: { metadata: { name }, spec: { displayName }, status: { state } } };
}

function fakeHost(initial: ChangeEventLike[] = [], close: () => Promise<void> = async () => {}) {
  const bus = new EventEmitter();
  let closes = 0;
  const host: DesktopHost = {
    url: origin,
    adminSession: () => ({ token: 'dfs_local', expiresAt: '2030-01-01T00:00:00.000Z' }),
    onNotification: (fn) => (bus.on('n', fn), () => void bus.off('n', fn)),
    watchFleet: async (fn) => (bus.on('change', fn), { initial, stop: () => void bus.off('change', fn) }),
    close: () => ((closes += 1), close()),
  };
  return {
    host,
    change: (e: ChangeEventLike) => bus.emit('change', e),
    notify: (n: Notification) => bus.emit('n', n),
    closes: () => closes,
    listeners: () => bus.listenerCount('change') + bus.listenerCount('n'),
  };
}

async function start(opts: { lock?: boolean; platform?: NodeJS.Platform; host?: ReturnType<typeof fakeHost>; startHost?: DesktopDeps['startHost']; quitTimeoutMs?: number } = {}) {
  const { electron, rec } = fakeElectron({ lock: opts.lock });
  const h = opts.host ?? fakeHost();
  const runtime = await runDesktop({
    electron,
    platform: opts.platform ?? 'linux',
    env: { DRAGONFLY_DATA_DIR: '/tmp/df-data' },
    home: '/home/ada',
    preloadPath: '/app/dist/electron/preload.cjs',
    iconsDir: '/app/assets/icons',
    devTools: false,
    startHost: opts.startHost ?? (async () => h.host),
    quitTimeoutMs: opts.quitTimeoutMs ?? 1_000,
  });
  await vi.waitFor(() => expect(runtime === undefined || runtime.window() !== undefined).toBe(true));
  return { rec, runtime, h };
}

afterEach(() => vi.useRealTimers());

describe('runDesktop: start', () => {
  it('quits at once when another instance holds the lock, opening nothing', async () => {
    const { rec, runtime } = await start({ lock: false });
    expect(runtime).toBeUndefined();
    expect(rec.quitCalls).toBe(1);
    expect(rec.windows).toHaveLength(0);
  });

  it('keeps Electron data in the Dragonfly data folder', async () => {
    const { rec, runtime } = await start();
    expect(rec.paths.get('userData')).toBe('/tmp/df-data');
    expect(runtime?.dataDir).toBe('/tmp/df-data');
  });

  it('opens one locked-down window on the control plane, already signed in', async () => {
    const { rec } = await start();
    expect(rec.windows).toHaveLength(1);
    const [w] = rec.windows;
    expect(w.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(w.options.webPreferences.preload).toBe('/app/dist/electron/preload.cjs');
    expect(w.loaded).toEqual([`${origin}/`]);
    expect(w.shown).toBe(1);
    expect(rec.session.cookiesSet).toEqual([
      expect.objectContaining({ url: origin, name: 'df_session', value: 'dfs_local', httpOnly: true, sameSite: 'strict' }),
    ]);
  });

  it('puts the CSP on every response and refuses permissions but clipboard writes', async () => {
    const { rec } = await start();
    let headers: Record<string, string[]> | undefined;
    rec.session.headersListener!({ url: `${origin}/`, responseHeaders: { 'content-security-policy': ['default-src *'] } }, (r) => (headers = r.responseHeaders));
    expect(headers?.['Content-Security-Policy']?.[0]).toMatch(/^default-src 'none'; script-src 'self'/);
    expect(headers?.['content-security-policy']).toBeUndefined();
    const granted: boolean[] = [];
    rec.session.requestHandler!({}, 'media', (g) => granted.push(g), { requestingUrl: `${origin}/` });
    rec.session.requestHandler!({}, 'clipboard-sanitized-write', (g) => granted.push(g), { requestingUrl: `${origin}/` });
    rec.session.requestHandler!({}, 'clipboard-sanitized-write', (g) => granted.push(g), { requestingUrl: 'https://evil.example/' });
    expect(granted).toEqual([false, true, false]);
    expect(rec.session.checkHandler!({}, 'geolocation', origin)).toBe(false);
  });

  it('keeps the window on the control plane and sends outside links to the browser', async () => {
    const { rec } = await start();
    const wc = rec.windows[0].webContents;
    expect(wc.navigate(`${origin}/machines`)).toBe(true);
    expect(wc.navigate('https://evil.example/')).toBe(false);
    expect(wc.navigate('http://127.0.0.1:9999/', 'will-redirect')).toBe(false);
    expect(wc.openHandler!({ url: 'https://10.0.0.5/' })).toEqual({ action: 'deny' });
    expect(wc.openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(rec.opened).toEqual(['https://10.0.0.5/']);
  });

  it('shows an error and exits 1 when the control plane cannot start', async () => {
    const { rec, runtime } = await start({ startHost: async () => Promise.reject(new Error('the store at /tmp/df-data is locked by another process')) });
    expect(runtime).toBeUndefined();
    expect(rec.errorBoxes).toEqual(['Dragonfly could not start: the store at /tmp/df-data is locked by another process\n\nData folder: /tmp/df-data']);
    expect(rec.exitCodes).toEqual([1]);
  });
});

describe('runDesktop: second instance and windows', () => {
  it('focuses the existing window when a second instance starts', async () => {
    const { rec } = await start();
    rec.windows[0].minimized = true;
    rec.appEvents.emit('second-instance');
    expect(rec.windows).toHaveLength(1);
    expect(rec.windows[0].minimized).toBe(false);
    expect(rec.windows[0].focused).toBe(1);
  });

  it('reopens the window after it was closed (tray click, dock click)', async () => {
    const { rec, runtime } = await start({ platform: 'darwin' });
    rec.windows[0].close();
    rec.appEvents.emit('window-all-closed');
    expect(rec.quitCalls).toBe(0); // macOS keeps the app
    rec.trays[0].emit('click');
    await vi.waitFor(() => expect(rec.windows).toHaveLength(2));
    await vi.waitFor(() => expect(runtime?.window()).toBe(rec.windows[1]));
  });

  it('quits when the last window closes on Linux and Windows', async () => {
    const { rec } = await start({ platform: 'linux' });
    rec.appEvents.emit('window-all-closed');
    expect(rec.quitCalls).toBe(1);
  });
});

describe('runDesktop: tray and notifications', () => {
  it('paints the fleet in the tray and follows it live', async () => {
    const h = fakeHost([machine('amber-falcon-orbit', 'Ready'), machine('brave-otter-lamp', 'Provisioning')]);
    const { rec } = await start({ host: h });
    const [tray] = rec.trays;
    expect(tray.image).toBe('/app/assets/icons/tray-provisioning.png');
    expect(tray.toolTip).toBe('Dragonfly — provisioning 1 · 1 Ready of 2 machines');
    h.change(machine('brave-otter-lamp', 'Error', 'MODIFIED'));
    expect(tray.image).toBe('/app/assets/icons/tray-error.png');
    expect(tray.toolTip).toBe('Dragonfly — 1 error · 1 Ready of 2 machines');
  });

  it('says nothing about machines already Ready at start, and notifies news once', async () => {
    const h = fakeHost([machine('amber-falcon-orbit', 'Ready'), machine('brave-otter-lamp', 'Provisioning')]);
    const { rec } = await start({ host: h });
    expect(rec.notifications).toEqual([]);
    h.change(machine('brave-otter-lamp', 'Ready', 'MODIFIED'));
    h.notify({ level: 'info', title: 'Brave Otter Lamp is Ready', body: 'debian-12 installed', machine: 'brave-otter-lamp' });
    h.notify({ level: 'info', title: 'Brave Otter Lamp is Ready', body: 'debian-12 installed', machine: 'brave-otter-lamp' });
    expect(rec.notifications).toEqual([{ title: 'Brave Otter Lamp is Ready', body: 'debian-12 installed' }]);
  });

  it('summarises a burst of machines becoming Ready', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const names = Array.from({ length: 15 }, (_, i) => `node-${i}`);
    const h = fakeHost(names.map((n) => machine(n, 'Provisioning')));
    const { rec } = await start({ host: h });
    for (const n of names) h.notify({ level: 'info', title: `${n} is Ready`, body: 'installed', machine: n });
    expect(rec.notifications).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(rec.notifications.at(-1)).toEqual({ title: '12 machines are Ready', body: 'Node 3, Node 4, Node 5 and 9 more' });
    expect(rec.notifications).toHaveLength(4);
  });
});

describe('runDesktop: IPC', () => {
  it('gives the UI its session and refuses any other page', async () => {
    const { rec } = await start();
    const getSession = rec.handlers.get(ipcChannels.getSession)!;
    await expect(getSession({ senderFrame: { url: `${origin}/`, parent: null } })).resolves.toEqual({ token: 'dfs_local' });
    await expect(getSession({ senderFrame: { url: 'https://evil.example/', parent: null } })).rejects.toMatchObject({ code: 'DF_ERR_FORBIDDEN' });
  });

  it('reports the app version and data folder', async () => {
    const { rec } = await start();
    const info = await rec.handlers.get(ipcChannels.getAppInfo)!({ senderFrame: { url: `${origin}/`, parent: null } });
    expect(info).toEqual({ version: '0.1.0', platform: 'linux', dataDir: '/tmp/df-data', packaged: false });
  });
});

describe('runDesktop: quit', () => {
  it('holds the quit until the control plane closed, then exits 0 once', async () => {
    let finish!: () => void;
    const h = fakeHost([], () => new Promise<void>((r) => (finish = r)));
    const { rec } = await start({ host: h });
    expect(rec.beforeQuit()).toBe(false);
    expect(rec.beforeQuit()).toBe(false); // a second Cmd+Q while closing
    expect(h.closes()).toBe(1);
    expect(rec.exitCodes).toEqual([]);
    expect(rec.trays[0].destroyed).toBe(true);
    expect(rec.handlers.size).toBe(0);
    expect(h.listeners()).toBe(0);
    finish();
    await vi.waitFor(() => expect(rec.exitCodes).toEqual([0]));
  });

  it('exits 1 when the control plane does not close in time', async () => {
    const h = fakeHost([], () => new Promise<void>(() => {}));
    const { rec } = await start({ host: h, quitTimeoutMs: 100 });
    rec.beforeQuit();
    expect(rec.exitCodes).toEqual([]);
    await vi.waitFor(() => expect(rec.exitCodes).toEqual([1]), { timeout: 3_000 });
  });
});
