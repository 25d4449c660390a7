import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetworkSettings } from '../contract/settings.ts';
import { writeFileDurable } from '../shared/durable-file.ts';

export { validateNetworkSettings, type NetworkSettings } from '../contract/settings.ts';

export const SETTINGS_FILE = 'network.json';

export async function loadNetworkSettings(dataDir: string): Promise<Partial<NetworkSettings> | undefined> {
  try {
    return JSON.parse(await readFile(join(dataDir, SETTINGS_FILE), 'utf8'));
  } catch {
    return undefined;
  }
}

export async function saveNetworkSettings(dataDir: string, s: NetworkSettings): Promise<void> {
  await writeFileDurable(join(dataDir, SETTINGS_FILE), JSON.stringify(s, null, 2), 0o644);
}
