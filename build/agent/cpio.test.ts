import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCpio } from './cpio.mjs';

const dir = mkdtempSync(join(tmpdir(), 'dfa-cpio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entries = [
  { path: 'bin', type: 'dir' as const },
  { path: 'bin/hello', type: 'file' as const, mode: 0o755, data: Buffer.from('#!/bin/sh\necho hi\n') },
  { path: 'bin/odd', type: 'file' as const, data: Buffer.from('abc') }, // length not a multiple of 4
  { path: 'bin/sh', type: 'symlink' as const, target: 'busybox' },
  { path: 'dev', type: 'dir' as const },
  { path: 'dev/console', type: 'char' as const, mode: 0o600, major: 5, minor: 1 },
];

describe('cpio newc writer', () => {
  it('is read back by busybox cpio: contents, modes, symlinks and the console device', () => {
    const archive = encodeCpio(entries);
    const r = spawnSync('busybox', ['cpio', '-i', '-d'], { cwd: dir, input: archive });
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(readFileSync(join(dir, 'bin/hello'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
    expect(lstatSync(join(dir, 'bin/hello')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(dir, 'bin/odd'), 'utf8')).toBe('abc');
    expect(readlinkSync(join(dir, 'bin/sh'))).toBe('busybox');
    const dev = lstatSync(join(dir, 'dev/console'));
    expect(dev.isCharacterDevice()).toBe(true);
    expect(dev.rdev).toBe((5 << 8) | 1);
  });

  it('lists entries in order and ends with the trailer, 4-byte aligned', () => {
    const archive = encodeCpio(entries);
    const r = spawnSync('busybox', ['cpio', '-t'], { input: archive });
    expect(r.stdout.toString().trim().split('\n')).toEqual(entries.map((e) => e.path));
    expect(archive.length % 4).toBe(0);
    expect(archive.includes(Buffer.from('TRAILER!!!\0'))).toBe(true);
  });

  it('gives identical bytes for identical input (reproducible images)', () => {
    expect(encodeCpio(entries).equals(encodeCpio(entries))).toBe(true);
  });
});
