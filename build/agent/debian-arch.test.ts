import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { archInfo, missingSonames } from './debian-arch.mjs';
import { LOADER_DIRS } from './elf.mjs';

describe('packages of another architecture (debian-arch.mjs)', () => {
  it('names the architectures it knows when asked for another', () => {
    expect(() => archInfo('riscv64')).toThrow('unknown --arch riscv64; known: arm64');
    expect(archInfo('arm64').loaderDirs).toContain('/lib/aarch64-linux-gnu');
  });

  const root = mkdtempSync(join(tmpdir(), 'dfa-arch-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  it('finds what an unpacked program still needs by its ELF dynamic section (no ldd), and stops once the library is there', () => {
    mkdirSync(join(root, 'bin'));
    copyFileSync('/bin/true', join(root, 'bin/true'));
    expect(missingSonames(root, 'bin/true', LOADER_DIRS).missing).toEqual(['libc.so.6']);
    mkdirSync(join(root, 'lib/x86_64-linux-gnu'), { recursive: true });
    copyFileSync('/lib/x86_64-linux-gnu/libc.so.6', join(root, 'lib/x86_64-linux-gnu/libc.so.6'));
    const { missing, libs } = missingSonames(root, 'bin/true', LOADER_DIRS);
    expect(missing.filter((m) => !m.startsWith('ld-linux'))).toEqual([]);
    expect(libs).toContain(join(root, 'lib/x86_64-linux-gnu/libc.so.6'));
  });
});
