/** The application menu and the tray menu, as plain templates (Menu.buildFromTemplate input). */
import type { MenuItemTemplate } from './electron-api.ts';
import type { TrayView } from './tray-state.ts';

export interface MenuActions {
  showWindow(): void;
  revealDataDir(): void;
  openInBrowser(): void;
  openApiReference(): void;
  quit(): void;
}

export function appMenuTemplate(platform: NodeJS.Platform, devTools: boolean, a: MenuActions): MenuItemTemplate[] {
  const mac = platform === 'darwin';
  const view: MenuItemTemplate[] = [
    { role: 'reload' },
    ...(devTools ? [{ role: 'toggleDevTools' }] : []),
    { type: 'separator' },
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  return [
    ...(mac ? [{ role: 'appMenu' }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Show Data Folder', click: a.revealDataDir },
        { label: 'Open in Browser', click: a.openInBrowser },
        ...(mac ? [] : [{ type: 'separator' as const }, { label: 'Quit Dragonfly', accelerator: 'CmdOrCtrl+Q', click: a.quit }]),
      ],
    },
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ label: 'API Reference (OpenAPI)', click: a.openApiReference }] },
  ];
}

/** Tray menu: the status in words (disabled lines), then what one can do from there. */
export function trayMenuTemplate(view: TrayView, a: Pick<MenuActions, 'showWindow' | 'quit'>): MenuItemTemplate[] {
  const c = view.counts;
  const lines = [
    c.provisioning > 0 ? `Provisioning: ${c.provisioning}${view.percent === undefined ? '' : ` (${view.percent} %)`}` : undefined,
    c.errors > 0 ? `Errors: ${c.errors}` : undefined,
    `Ready: ${c.ready} of ${c.total}`,
  ].filter((l): l is string => l !== undefined);
  return [
    ...lines.map((label) => ({ label, enabled: false })),
    { type: 'separator' },
    { label: 'Open Dragonfly', click: a.showWindow },
    { label: 'Quit Dragonfly', click: a.quit },
  ];
}
