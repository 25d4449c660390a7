import path from 'node:path';

/**
 * Where Dragonfly keeps its data on each OS (the store, secrets, logs). The headless
 * `dragonfly serve` and the desktop app resolve the same folder, so one laptop has one state.
 *
 * - Linux (and other Unix): $XDG_DATA_HOME/dragonfly, else ~/.local/share/dragonfly (XDG Base
 *   Directory spec: data, not config, because the store is state the user did not write).
 * - macOS: ~/Library/Application Support/Dragonfly (Apple's File System Programming Guide).
 * - Windows: %APPDATA%\Dragonfly (roaming profile), else <home>\AppData\Roaming\Dragonfly.
 * DRAGONFLY_DATA_DIR overrides all of them (tests, portable installs).
 */
export interface DataDirInput {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  home: string;
}

export function dataDirFor({ platform, env, home }: DataDirInput): string {
  const override = nonEmpty(env.DRAGONFLY_DATA_DIR);
  if (override) return override;
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', 'Dragonfly');
  if (platform === 'win32') {
    const appData = nonEmpty(env.APPDATA) ?? path.win32.join(home, 'AppData', 'Roaming');
    return path.win32.join(appData, 'Dragonfly');
  }
  // XDG says a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = nonEmpty(env.XDG_DATA_HOME);
  const base = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(home, '.local', 'share');
  return path.posix.join(base, 'dragonfly');
}

function nonEmpty(s: string | undefined): string | undefined {
  return s !== undefined && s.trim() !== '' ? s : undefined;
}
