import { describe, expect, it } from 'vitest';
import type { MenuItemTemplate } from './electron-api.ts';
import { appMenuTemplate, trayMenuTemplate } from './menu.ts';
import { emptyFleet, trayView } from './tray-state.ts';

const calls: string[] = [];
const actions = {
  showWindow: () => calls.push('show'),
  revealDataDir: () => calls.push('reveal'),
  openInBrowser: () => calls.push('browser'),
  openApiReference: () => calls.push('api'),
  quit: () => calls.push('quit'),
};
const flatten = (items: MenuItemTemplate[]): MenuItemTemplate[] => items.flatMap((i) => [i, ...flatten(i.submenu ?? [])]);

describe('appMenuTemplate', () => {
  it('has no DevTools entry in a packaged build and one in development', () => {
    expect(flatten(appMenuTemplate('linux', false, actions)).some((i) => i.role === 'toggleDevTools')).toBe(false);
    expect(flatten(appMenuTemplate('linux', true, actions)).some((i) => i.role === 'toggleDevTools')).toBe(true);
  });

  it('quits from File on Linux/Windows and from the app menu on macOS', () => {
    const linuxQuit = flatten(appMenuTemplate('linux', false, actions)).find((i) => i.label === 'Quit Dragonfly');
    expect(linuxQuit?.accelerator).toBe('CmdOrCtrl+Q');
    linuxQuit?.click?.();
    expect(calls).toContain('quit');
    const mac = appMenuTemplate('darwin', false, actions);
    expect(mac[0].role).toBe('appMenu');
    expect(flatten(mac).some((i) => i.label === 'Quit Dragonfly')).toBe(false);
  });

  it('offers the data folder and the API reference', () => {
    const items = flatten(appMenuTemplate('win32', false, actions));
    items.find((i) => i.label === 'Show Data Folder')?.click?.();
    items.find((i) => i.label === 'API Reference (OpenAPI)')?.click?.();
    expect(calls).toEqual(expect.arrayContaining(['reveal', 'api']));
  });
});

describe('trayMenuTemplate', () => {
  it('states the fleet in words and offers open and quit', () => {
    const view = { ...trayView(emptyFleet), counts: { total: 9, provisioning: 3, ready: 4, errors: 2 }, percent: 40 };
    const labels = trayMenuTemplate(view, actions).map((i) => i.label ?? '—');
    expect(labels).toEqual(['Provisioning: 3 (40 %)', 'Errors: 2', 'Ready: 4 of 9', '—', 'Open Dragonfly', 'Quit Dragonfly']);
  });

  it('keeps status lines unclickable', () => {
    const [status] = trayMenuTemplate(trayView(emptyFleet), actions);
    expect(status).toEqual({ label: 'Ready: 0 of 0', enabled: false });
  });
});
