import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeWithPeers, itWithPeers } from '../../core/testing/peers.ts';
import { decodeCpio, encodeCpio } from './cpio.mjs';

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
  // Root: unpacking the console device node is a mknod.
  itWithPeers(['root', 'busybox'], 'is read back by busybox cpio: contents, modes, symlinks and the console device', () => {
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

  itWithPeers(['busybox'], 'lists entries in order and ends with the trailer, 4-byte aligned', () => {
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

describeWithPeers(['cpio'], 'cpio newc reader', () => {
  const norm = (es: ReturnType<typeof decodeCpio>) => es.map((e) => ({ ...e, data: e.data ? Buffer.from(e.data).toString('latin1') : undefined }));

  it('reads back what the writer wrote: types, modes, data, link targets, device numbers', () => {
    const back = norm(decodeCpio(encodeCpio(entries)));
    expect(back.map((e) => [e.path, e.type])).toEqual(entries.map((e) => [e.path, e.type]));
    expect(back.find((e) => e.path === 'bin/hello')).toMatchObject({ mode: 0o755, data: '#!/bin/sh\necho hi\n' });
    expect(back.find((e) => e.path === 'bin/odd')).toMatchObject({ data: 'abc' });
    expect(back.find((e) => e.path === 'bin/sh')).toMatchObject({ target: 'busybox' });
    expect(back.find((e) => e.path === 'dev/console')).toMatchObject({ mode: 0o600, major: 5, minor: 1 });
  });

  it('reads layered archives (one after the other, zero padding between) as one list, in order', () => {
    const top = encodeCpio([{ path: 'bin/hello', type: 'file', mode: 0o755, data: Buffer.from('new') }]);
    const both = Buffer.concat([encodeCpio(entries), Buffer.alloc(512), top]);
    const back = decodeCpio(both);
    expect(back).toHaveLength(entries.length + 1);
    expect(Buffer.from(back.filter((e) => e.path === 'bin/hello').at(-1)!.data!).toString()).toBe('new');
  });

  it('reads an archive made by GNU cpio (a real peer, not only our own writer)', () => {
    const src = join(dir, 'gnu');
    mkdirSync(join(src, 'etc'), { recursive: true });
    writeFileSync(join(src, 'etc/motd'), 'hello from cpio\n');
    symlinkSync('etc/motd', join(src, 'motd'));
    const r = spawnSync('sh', ['-c', 'find . | LC_ALL=C sort | cpio -o -H newc --quiet'], { cwd: src });
    expect(r.status, r.stderr.toString()).toBe(0);
    const back = decodeCpio(r.stdout);
    expect(back.map((e) => `${e.type} ${e.path}`)).toEqual(['dir .', 'dir etc', 'file etc/motd', 'symlink motd']);
    expect(Buffer.from(back[2]!.data!).toString()).toBe('hello from cpio\n');
    expect(back[3]!.target).toBe('etc/motd');
  });

  it('names the byte where an archive is damaged', () => {
    const bad = Buffer.concat([encodeCpio(entries), Buffer.from('garbage!')]);
    expect(() => decodeCpio(bad)).toThrow(/no newc header at byte \d+/);
    expect(() => decodeCpio(encodeCpio(entries).subarray(0, 200))).toThrow(/runs past the end|cut short/);
  });
});
