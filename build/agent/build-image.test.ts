import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkBase, HOST_TOOLS, hostProblem, lddMissing, moduleClosure, moduleName, parseAptDepends, parseLdd, parseModulesDep } from './build-image.mjs';
import type { CpioEntry } from './cpio.mjs';
import { elfDynamic, lookupInImage, unresolvedLibraries } from './elf.mjs';

describe('whether this host can build the agent image', () => {
  it('names the operating system and the way out when not on Linux', () => {
    expect(hostProblem('darwin', () => true)).toMatch(/Linux only \(this host is darwin\).*npm run build:agent-image/);
  });

  it('names every missing host tool and the one apt-get line that installs them', () => {
    const line = hostProblem('linux', (bin) => !['zstd', 'depmod'].includes(bin))!;
    expect(line).toBe('depmod, zstd are missing on this host; install with: sudo apt-get install kmod zstd');
    expect(line.split('\n')).toHaveLength(1);
  });

  it('has nothing to say on a host with every tool', () => {
    expect(hostProblem('linux', () => true)).toBeUndefined();
  });

  it('the builder itself, run as npm start runs it, exits 2 with that one line and writes nothing', () => {
    // A PATH holding this host's tools except zstd: what a Debian laptop without zstd looks like to the builder.
    const dir = mkdtempSync(join(tmpdir(), 'df-build-host-'));
    try {
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      const which = (b: string) => spawnSync('sh', ['-c', `command -v ${b}`], { encoding: 'utf8' }).stdout.trim();
      for (const t of HOST_TOOLS.filter((t) => t.bin !== 'zstd' && which(t.bin))) symlinkSync(which(t.bin), join(bin, t.bin));
      const out = join(dir, 'agent-image');
      const builder = join(dirname(new URL(import.meta.url).pathname), 'build-image.mjs');
      const r = spawnSync(process.execPath, [builder, '--out', out], { encoding: 'utf8', env: { ...process.env, PATH: bin }, timeout: 60_000 });
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^build-image: cannot build the agent image on this host: (.+, )?zstd (is|are) missing on this host; install with: sudo apt-get install (.+ )?zstd$/)]);
      expect(existsSync(out)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('boot image helpers', () => {
  it('reads the libraries and the loader from ldd output, skipping the vDSO', () => {
    const ldd = [
      '\tlinux-vdso.so.1 (0x00007ffc)',
      '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f40)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f40)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f40)',
    ].join('\n');
    expect(parseLdd(ldd)).toEqual(['/lib/x86_64-linux-gnu/libstdc++.so.6', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']);
  });

  it('normalises module names like kmod: dashes are underscores, extensions dropped', () => {
    expect(moduleName('kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko')).toBe('e1000e');
    expect(moduleName('kernel/crypto/crc32c-intel.ko.xz')).toBe('crc32c_intel');
  });

  it('closes a module list over modules.dep and reports names the kernel does not have', () => {
    const dep = parseModulesDep([
      'kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko',
      'kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko',
      'kernel/net/core/failover.ko:',
      'kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko',
      'kernel/fs/jbd2/jbd2.ko:',
      'kernel/fs/mbcache.ko:',
      '',
    ].join('\n'));
    expect(moduleClosure(dep, ['virtio_net', 'nosuch'])).toEqual({
      files: ['kernel/drivers/net/net_failover.ko', 'kernel/drivers/net/virtio_net.ko', 'kernel/net/core/failover.ko'],
      missing: ['nosuch'],
    });
    expect(moduleClosure(dep, ['ext4']).files).toHaveLength(3);
  });
});

describe('libraries of the programs in the image', () => {
  it('reads what ldd could not find, once per soname', () => {
    const ldd = [
      '\tlinux-vdso.so.1 (0x00007ffc)',
      '\tlibxenctrl.so.4.17 => not found',
      '\tlibxencall.so.1 => not found',
      '\tlibxenctrl.so.4.17 => not found',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f40)',
    ].join('\n');
    expect(lddMissing(ldd)).toEqual(['libxenctrl.so.4.17', 'libxencall.so.1']);
    expect(parseLdd(ldd)).toEqual(['/lib/x86_64-linux-gnu/libc.so.6']);
  });

  it('reads real package names from apt-cache depends, skipping virtual ones', () => {
    const text = ['kexec-tools', '  Depends: libc6', '  Depends: libxenmisc4.17', ' |Depends: debconf', '  Depends: <debconf-2.0>', '    cdebconf', '  PreDepends: dpkg'].join('\n');
    expect(parseAptDepends(text)).toEqual(['libc6', 'libxenmisc4.17', 'debconf', 'dpkg']);
  });

  // A real program of the build host and its real libraries, laid out as the image lays them out.
  const hostProgram = (bin: string): CpioEntry[] => {
    const libs = parseLdd(spawnSync('ldd', [bin], { encoding: 'utf8' }).stdout).map((l) => l.replace(/^\//, ''));
    const dirs = new Set(['bin', ...libs.flatMap((l) => l.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/')))]);
    return [
      ...[...dirs].map((d): CpioEntry => ({ path: d, type: 'dir' })),
      { path: 'bin/prog', type: 'file', mode: 0o755, data: readFileSync(bin) },
      ...libs.map((l): CpioEntry => ({ path: l, type: 'file', mode: 0o755, data: readFileSync(realpathSync(`/${l}`)) })),
    ];
  };

  it('finds the loader and every library of a host program laid out like the image, and names the one taken away', () => {
    const entries = hostProgram('/usr/bin/zstd');
    const elf = elfDynamic(entries.find((e) => e.path === 'bin/prog')!.data!)!;
    expect(elf.interp).toBe('/lib64/ld-linux-x86-64.so.2');
    expect(elf.needed).toContain('libz.so.1');
    expect(unresolvedLibraries(entries)).toEqual([]);
    const without = entries.filter((e) => !e.path.endsWith('/libz.so.1'));
    expect(unresolvedLibraries(without)).toEqual([expect.stringMatching(/^bin\/prog needs libz\.so\.1, which is in none of \/lib\/x86_64-linux-gnu/)]);
    const noLoader = entries.filter((e) => !e.path.endsWith('ld-linux-x86-64.so.2'));
    expect(unresolvedLibraries(noLoader)).toContain('bin/prog: its loader /lib64/ld-linux-x86-64.so.2 is not in the image');
  });

  it('follows links inside the image (sbin -> bin, usr/bin -> ../bin), not on the host', () => {
    const byPath = new Map<string, CpioEntry>([
      ['bin', { path: 'bin', type: 'dir' }],
      ['bin/kexec', { path: 'bin/kexec', type: 'file', data: Buffer.from('x') }],
      ['sbin', { path: 'sbin', type: 'symlink', target: 'bin' }],
      ['usr', { path: 'usr', type: 'dir' }],
      ['usr/sbin', { path: 'usr/sbin', type: 'symlink', target: '../bin' }],
      ['loop', { path: 'loop', type: 'symlink', target: 'loop' }],
    ]);
    expect(lookupInImage(byPath, '/sbin/kexec')).toBe('bin/kexec');
    expect(lookupInImage(byPath, '/usr/sbin/kexec')).toBe('bin/kexec');
    expect(lookupInImage(byPath, '/sbin/nosuch')).toBeUndefined();
    expect(lookupInImage(byPath, '/loop/x')).toBeUndefined();
  });

  it('refuses a base layer without kexec', () => {
    const entries = hostProgram('/usr/bin/zstd').map((e) => (e.path === 'bin/prog' ? { ...e, path: 'bin/node' } : e));
    expect(() => checkBase(entries, true)).toThrow(/bin\/kexec is missing/);
    expect(() => checkBase(entries, false)).not.toThrow();
  });
});
