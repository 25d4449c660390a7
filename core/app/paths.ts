import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where Dragonfly keeps its data when nobody says otherwise: the OS's per-user app-data
 * directory (XDG on Linux, Application Support on macOS, %APPDATA% on Windows).
 */
export function defaultDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Dragonfly');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Dragonfly');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'dragonfly');
}
