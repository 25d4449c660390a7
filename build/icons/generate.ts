/**
 * Writes every icon Dragonfly ships, from the drawings in draw.ts:
 *   assets/icons/tray-<state>.png (16 px) and tray-<state>@2x.png (32 px)  — tray, per state;
 *     Electron's nativeImage picks the @2x file on high-DPI screens by itself.
 *   assets/icons/dragonfly.png (256 px)   — window icon and notification image.
 *   build/icons/icon.png (512 px), icon.ico (16–256), icon.icns (16–512) — electron-builder.
 *   build/icons/png/<size>x<size>.png     — the Linux icon set (AppImage/deb hicolor theme).
 * Run: node --import tsx build/icons/generate.ts   (deterministic: same bytes every run)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeIcns, encodeIco } from './containers.ts';
import { appIconLayers, render, trayIconLayers, type TrayState } from './draw.ts';
import { encodePng } from './png.ts';

export const trayStates: TrayState[] = ['idle', 'provisioning', 'error'];
export const linuxSizes = [16, 32, 48, 64, 128, 256, 512];

/** Every file, relative to the project root, with its bytes. */
export function iconFiles(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const state of trayStates) {
    files.set(`assets/icons/tray-${state}.png`, encodePng(render(trayIconLayers(state), 16)));
    files.set(`assets/icons/tray-${state}@2x.png`, encodePng(render(trayIconLayers(state), 32)));
  }
  const app = new Map(linuxSizes.map((s) => [s, encodePng(render(appIconLayers(), s))]));
  files.set('assets/icons/dragonfly.png', app.get(256)!);
  files.set('build/icons/icon.png', app.get(512)!);
  for (const [s, png] of app) files.set(`build/icons/png/${s}x${s}.png`, png);
  files.set('build/icons/icon.ico', encodeIco([16, 32, 48, 64, 128, 256].map((size) => ({ size, png: app.get(size)! }))));
  files.set('build/icons/icon.icns', encodeIcns([16, 32, 64, 128, 256, 512].map((size) => ({ size, png: app.get(size)! }))));
  return files;
}

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [rel, bytes] of iconFiles()) {
    const file = path.join(projectRoot, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, bytes);
    console.log(`${rel} (${bytes.length} bytes)`);
  }
}
