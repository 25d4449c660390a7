import { describe, expect, it } from 'vitest';
import { dataDirFor } from './app-paths.ts';

describe('dataDirFor', () => {
  it('uses XDG_DATA_HOME on Linux when it is set', () => {
    expect(dataDirFor({ platform: 'linux', env: { XDG_DATA_HOME: '/data/xdg' }, home: '/home/ada' })).toBe('/data/xdg/dragonfly');
  });

  it('falls back to ~/.local/share/dragonfly on Linux', () => {
    expect(dataDirFor({ platform: 'linux', env: {}, home: '/home/ada' })).toBe('/home/ada/.local/share/dragonfly');
  });

  it('ignores an empty or relative XDG_DATA_HOME, as the XDG spec requires', () => {
    expect(dataDirFor({ platform: 'linux', env: { XDG_DATA_HOME: '' }, home: '/home/ada' })).toBe('/home/ada/.local/share/dragonfly');
    expect(dataDirFor({ platform: 'freebsd', env: { XDG_DATA_HOME: 'rel/dir' }, home: '/home/ada' })).toBe('/home/ada/.local/share/dragonfly');
  });

  it('uses Application Support on macOS', () => {
    expect(dataDirFor({ platform: 'darwin', env: { XDG_DATA_HOME: '/ignored' }, home: '/Users/ada' })).toBe(
      '/Users/ada/Library/Application Support/Dragonfly',
    );
  });

  it('uses %APPDATA%\\Dragonfly on Windows, with the profile default when APPDATA is unset', () => {
    expect(dataDirFor({ platform: 'win32', env: { APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, home: 'C:\\Users\\ada' })).toBe(
      'C:\\Users\\ada\\AppData\\Roaming\\Dragonfly',
    );
    expect(dataDirFor({ platform: 'win32', env: {}, home: 'C:\\Users\\ada' })).toBe('C:\\Users\\ada\\AppData\\Roaming\\Dragonfly');
  });

  it('lets DRAGONFLY_DATA_DIR override every platform', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      expect(dataDirFor({ platform, env: { DRAGONFLY_DATA_DIR: '/srv/df', APPDATA: 'X', XDG_DATA_HOME: '/x' }, home: '/h' })).toBe('/srv/df');
    }
  });
});

describe('dataDirFor agrees with core/app/paths.ts (what `dragonfly serve` uses)', () => {
  const cases = [
    { platform: 'linux' as const, env: {}, home: '/home/ada' },
    { platform: 'linux' as const, env: { XDG_DATA_HOME: '/data/xdg' }, home: '/home/ada' },
    { platform: 'darwin' as const, env: {}, home: '/Users/ada' },
    { platform: 'win32' as const, env: { APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, home: 'C:\\Users\\ada' },
  ];
  // core joins with the host's separator; compare with separators normalised.
  const norm = (p: string) => p.replaceAll('\\', '/');
  it.each(cases)('on $platform with $env', async (c) => {
    const { defaultDataDir } = await import('../core/app/paths.ts');
    expect(norm(dataDirFor(c))).toBe(norm(defaultDataDir(c.platform, c.env, c.home)));
  });
});
