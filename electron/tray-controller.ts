import path from 'node:path';
import type { ElectronMain, TrayLike } from './electron-api.ts';
import { trayMenuTemplate, type MenuActions } from './menu.ts';
import type { TrayView } from './tray-state.ts';

/** Paints a TrayView: icon per state (tray-<state>.png, @2x picked by Electron), tooltip, menu. */
export class TrayController {
  private readonly tray: TrayLike;
  private last: TrayView | undefined;

  constructor(
    private readonly electron: ElectronMain,
    private readonly iconsDir: string,
    private readonly actions: Pick<MenuActions, 'showWindow' | 'quit'>,
  ) {
    this.tray = new electron.Tray(this.iconFor('idle'));
    this.tray.on('click', actions.showWindow);
  }

  iconFor(state: TrayView['icon']): string {
    return path.join(this.iconsDir, `tray-${state}.png`);
  }

  update(view: TrayView): void {
    if (this.tray.isDestroyed()) return;
    if (this.last?.icon !== view.icon) this.tray.setImage(this.iconFor(view.icon));
    if (this.last?.tooltip !== view.tooltip) this.tray.setToolTip(view.tooltip);
    this.tray.setContextMenu(this.electron.Menu.buildFromTemplate(trayMenuTemplate(view, this.actions)));
    this.last = view;
  }

  current(): TrayView | undefined {
    return this.last;
  }

  isAlive(): boolean {
    return !this.tray.isDestroyed();
  }

  destroy(): void {
    if (!this.tray.isDestroyed()) this.tray.destroy();
  }
}
