/**
 * The packaged helper as the deb installs it: the bundle and the launcher in an install tree
 * laid out like /opt/Dragonfly (node standing in for the Electron binary, which runs the bundle
 * as Node through ELECTRON_RUN_AS_NODE), and the polkit action that pins the launcher's path.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, FrameSplitter, type HelperMessage } from '../../core/privhelper/protocol.ts';
import { bundlePrivhelper } from './bundle.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const config = parse(readFileSync(path.join(root, 'build/electron-builder.yml'), 'utf8'));
const policy = readFileSync(path.join(root, 'build/privhelper/computer.dragonfly.privhelper.policy'), 'utf8');
const launcherInstalled = `/opt/${config.productName}/resources/privhelper/dragonfly-privhelper`;
const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['-n', 'true']).status === 0;

describe('the deb ships the helper and its polkit action', () => {
  it('puts the bundle and the launcher in resources/privhelper', () => {
    const to = config.extraResources.filter((r: { to: string }) => r.to === 'privhelper').map((r: { from: string; filter: string[] }) => `${r.from}:${r.filter.join(',')}`);
    expect(to.sort()).toEqual(['build/privhelper:dragonfly-privhelper', 'dist/privhelper:privhelper.mjs']);
    expect(statSync(path.join(root, 'build/privhelper/dragonfly-privhelper')).mode & 0o777).toBe(0o755);
  });

  it('installs the polkit action under /usr/share/polkit-1/actions', () => {
    expect(config.deb.fpm).toContain('build/privhelper/computer.dragonfly.privhelper.policy=/usr/share/polkit-1/actions/computer.dragonfly.privhelper.policy');
    expect(config.deb.recommends).toContain('pkexec | policykit-1');
  });

  it('lets an active local user run exactly the installed launcher, after an administrator password', () => {
    expect(policy).toContain('<action id="computer.dragonfly.privhelper">');
    expect(policy).toContain(`<annotate key="org.freedesktop.policykit.exec.path">${launcherInstalled}</annotate>`);
    expect(policy).toMatch(/<allow_any>no<\/allow_any>\s*<allow_inactive>no<\/allow_inactive>\s*<allow_active>auth_admin_keep<\/allow_active>/);
  });

  it('the dist script builds the bundle before electron-builder packs it', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.scripts.dist).toMatch(/node build\/privhelper\/bundle\.mjs && electron-builder/);
  });
});

describe.skipIf(!canUnshare)('the installed launcher runs the bundled helper (needs root for a private network namespace)', () => {
  let install: string;

  beforeAll(async () => {
    install = mkdtempSync(path.join(tmpdir(), 'dfph-install-'));
    const res = path.join(install, 'resources');
    await bundlePrivhelper(path.join(res, 'privhelper'));
    copyFileSync(path.join(root, 'build/privhelper/dragonfly-privhelper'), path.join(res, 'privhelper', 'dragonfly-privhelper'));
    spawnSync('chmod', ['755', path.join(res, 'privhelper', 'dragonfly-privhelper')]);
    symlinkSync(process.execPath, path.join(install, 'dragonfly')); // the Electron binary's place
    mkdirSync(path.join(res, 'app.asar'));
    symlinkSync(path.join(root, 'node_modules'), path.join(res, 'app.asar', 'node_modules'));
  });

  afterAll(() => rmSync(install, { recursive: true, force: true }));

  it('binds UDP 4011 on lo of its namespace (sockopt found through the app), refuses port 80, and exits with its stdin', async () => {
    const launcher = path.join(install, 'resources/privhelper/dragonfly-privhelper');
    // A namespace of its own: the helper's loopback port 4011 cannot collide with anything.
    const child = spawn('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" --stdio --interface lo', launcher], { stdio: ['pipe', 'pipe', 'pipe'] });
    const replies: HelperMessage[] = [];
    const splitter = new FrameSplitter();
    child.stdout.on('data', (d: Buffer) => splitter.push(d).forEach((m) => 'type' in m && replies.push(m)));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.stdin.write(encodeFrame({ type: 'open', id: 1, port: 80, iface: 'lo' }));
    child.stdin.write(encodeFrame({ type: 'open', id: 2, port: 4011, iface: 'lo' }));
    const t0 = Date.now();
    while (replies.length < 2 && Date.now() - t0 < 20_000 && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    child.stdin.end();
    const code = await new Promise((r) => child.once('exit', r));
    expect(replies, stderr).toEqual([
      { type: 'failed', id: 1, reason: 'refused', message: 'port 80 is not one the helper binds (only 67, 69, 4011)' },
      { type: 'opened', id: 2 },
    ]);
    expect(code).toBe(0);
    expect(stderr).toContain('app connection ended (end of input): closing 1 socket(s)');
  });
});
