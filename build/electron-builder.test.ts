import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { describeWithPeers } from '../core/testing/peers.ts';
import { resourcePaths } from '../electron/control-plane-host.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const config = parse(readFileSync(path.join(root, 'build/electron-builder.yml'), 'utf8'));
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const schemaPath = path.join(root, 'node_modules/app-builder-lib/scheme.json');

const targetsOf = (platform: { target: Array<string | { target: string }> }) => platform.target.map((t) => (typeof t === 'string' ? t : t.target));

describe('build/electron-builder.yml', () => {
  it('names the app as users and operating systems see it', () => {
    expect(config.appId).toBe('computer.dragonfly.app');
    expect(config.productName).toBe('Dragonfly');
  });

  it('pins electronVersion to the optional dependency in package.json', () => {
    const wanted = String(pkg.optionalDependencies.electron).replace(/^[~^=v]+/, '');
    expect(config.electronVersion).toBe(wanted);
    expect(config.electronVersion).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('builds AppImage + deb, dmg and a per-user NSIS installer', () => {
    expect(targetsOf(config.linux).sort()).toEqual(['AppImage', 'deb']);
    expect(config.linux.category).toBe('System');
    expect(config.linux.maintainer).toMatch(/<[^@\s]+@[^@\s]+>/);
    expect(targetsOf(config.mac)).toEqual(['dmg']);
    expect(config.mac.category).toBe('public.app-category.utilities');
    expect(targetsOf(config.win)).toEqual(['nsis']);
    expect(config.nsis).toMatchObject({ oneClick: false, perMachine: false });
  });

  it('packs the built app into an asar with the bundles, the UI and the assets', () => {
    expect(config.asar).toBe(true);
    expect(config.files).toEqual(expect.arrayContaining(['package.json', 'dist/electron/**', 'dist/renderer/**', 'assets/**']));
    // package.json's main must be inside what is packed.
    expect(pkg.main).toBe('dist/electron/main.js');
  });

  it('ships iPXE binaries and the agent image outside the asar', () => {
    const byTarget = Object.fromEntries(config.extraResources.filter((r: { to: string }) => r.to !== 'privhelper').map((r: { from: string; to: string }) => [r.to, r.from]));
    expect(byTarget).toEqual({ ipxe: 'assets/ipxe', secureboot: 'assets/secureboot', localboot: 'assets/localboot', 'agent-image': 'dist/agent-image' }); // privhelper: build/privhelper/privhelper-package.test.ts
    expect(config.files).toContain('!assets/ipxe/**');
    expect(config.files).toContain('!assets/secureboot/**');
    expect(config.files).toContain('!assets/localboot/**');
  });

  it('builds the agent image before packing it, so an installer never lacks it (the app itself never builds one)', () => {
    const image = config.extraResources.find((r: { to: string }) => r.to === 'agent-image');
    expect(image.filter).toEqual(expect.arrayContaining(['vmlinuz', 'initramfs.img']));
    const steps = String(pkg.scripts.dist).split('&&').map((x) => x.trim());
    const builder = steps.findIndex((x) => x.startsWith('electron-builder'));
    expect(steps.indexOf('npm run build:agent-image')).toBeGreaterThanOrEqual(0);
    expect(steps.indexOf('npm run build:agent-image')).toBeLessThan(builder);
  });

  it('the packaged app looks for the boot files exactly where extraResources puts them', () => {
    const to = (from: string) => config.extraResources.find((r: { from: string }) => r.from === from).to;
    const res = '/opt/Dragonfly/resources';
    expect(resourcePaths(res, 'linux', {})).toEqual({
      ipxeDir: path.join(res, to('assets/ipxe')),
      agentImageDir: path.join(res, to('dist/agent-image')),
      privHelper: `exec:pkexec ${path.join(res, to('build/privhelper'), 'dragonfly-privhelper')} --stdio`,
    });
    expect(resourcePaths(res, 'darwin', {})).not.toHaveProperty('privHelper');
  });

  it('points at icon files that exist and are what each OS expects', () => {
    const icns = readFileSync(path.join(root, config.mac.icon));
    expect(icns.subarray(0, 4).toString('latin1')).toBe('icns');
    const ico = readFileSync(path.join(root, config.win.icon));
    expect([...ico.subarray(0, 4)]).toEqual([0, 0, 1, 0]);
    const linuxDir = path.join(root, config.linux.icon);
    expect(statSync(linuxDir).isDirectory()).toBe(true);
    for (const size of [16, 32, 48, 64, 128, 256, 512]) expect(existsSync(path.join(linuxDir, `${size}x${size}.png`)), `${size}x${size}.png`).toBe(true);
  });

  it('keeps the build output out of the packed files', () => {
    expect(config.directories.output).toBe('release');
    expect(config.files.some((f: string) => f.startsWith('release'))).toBe(false);
  });

});

// electron-builder's own loader and validator (what `electron-builder --config` runs first):
// merges the file with package.json and defaults, then checks it against its JSON schema
// (app-builder-lib/scheme.json) plus its deprecation rules.
const installed = { ok: existsSync(schemaPath), why: 'electron-builder is not installed: npm install' };

describeWithPeers([installed], 'electron-builder accepts the configuration', () => {
  const require = createRequire(import.meta.url);
  const loader = () => require('app-builder-lib/out/util/config/config.js') as {
    getConfig(projectDir: string, configPath: string | null, fromOptions: object | null): Promise<Record<string, unknown>>;
    validateConfiguration(config: object, debugLogger: { isEnabled: boolean; add(): void }): Promise<void>;
  };
  const quiet = { isEnabled: false, add() {} };

  it('loads and validates build/electron-builder.yml', async () => {
    const { getConfig, validateConfiguration } = loader();
    const merged = await getConfig(root, path.join(root, 'build/electron-builder.yml'), null);
    expect(merged.appId).toBe('computer.dragonfly.app');
    await expect(validateConfiguration(merged, quiet)).resolves.toBeUndefined();
  });

  it('rejects a misspelt field, naming its section (so the check above can fail)', async () => {
    const { validateConfiguration } = loader();
    await expect(validateConfiguration({ ...config, nsis: { ...config.nsis, oneclick: false } }, quiet)).rejects.toThrow(/configuration\.nsis/);
  });
});
