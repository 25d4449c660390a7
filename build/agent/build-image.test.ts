import { describe, expect, it } from 'vitest';
import { moduleClosure, moduleName, parseLdd, parseModulesDep } from './build-image.mjs';

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
