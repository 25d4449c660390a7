import { describe, expect, it } from 'vitest';
import { detectMemoryBytes, memoryBlocksBytes, memTotalBytes } from './memory.ts';
import { emptySnapshot } from './snapshot.ts';

describe('memory', () => {
  it('reads MemTotal in KiB', () => {
    expect(memTotalBytes('MemTotal:        1475392 kB\nMemFree: 1 kB\n')).toBe(1475392 * 1024);
    expect(memTotalBytes('MemFree: 1 kB\n')).toBeUndefined();
  });

  it('sums online memory blocks, so kernel-reserved memory still counts', () => {
    const s = emptySnapshot();
    s.files['/proc/meminfo'] = 'MemTotal: 1475392 kB\n';
    s.files['/sys/devices/system/memory/block_size_bytes'] = '8000000\n'; // hex: 128 MiB
    for (let i = 0; i < 12; i++) s.files[`/sys/devices/system/memory/memory${i}/state`] = 'online\n';
    s.files['/sys/devices/system/memory/memory12/state'] = 'offline\n';
    expect(memoryBlocksBytes(s)).toBe(1536 * 2 ** 20);
    expect(detectMemoryBytes(s)).toBe(1536 * 2 ** 20);
  });

  it('on arm64 (QEMU virt, AAVMF) a block with no System RAM, the firmware flash at 64 MiB, is not memory', () => {
    // Read off the arm64 agent image booted under AAVMF with -m 1024 (2026-12-05).
    const s = emptySnapshot();
    s.files['/sys/devices/system/memory/block_size_bytes'] = '8000000\n';
    for (const i of [0, 8, 9, 10, 11, 12, 13, 14, 15]) {
      s.files[`/sys/devices/system/memory/memory${i}/state`] = 'online\n';
      s.files[`/sys/devices/system/memory/memory${i}/phys_index`] = `${i.toString(16).padStart(8, '0')}\n`;
    }
    s.files['/proc/iomem'] = [
      '04000000-07ffffff : reserved',
      '09000000-09000fff : ARMH0011:00',
      '40000000-7c43ffff : System RAM',
      '  72400000-763fffff : reserved',
      '7c440000-7c72ffff : reserved',
      '7c730000-7fbfffff : System RAM',
      '  7e400000-7f7fffff : reserved',
      '4010000000-401fffffff : PCI ECAM',
    ].join('\n');
    expect(memoryBlocksBytes(s)).toBe(1024 * 2 ** 20);
    // iomem as a non-root reader sees it (all zeros): every online block counts, as before
    s.files['/proc/iomem'] = '00000000-00000000 : System RAM\n';
    expect(memoryBlocksBytes(s)).toBe(1152 * 2 ** 20);
  });

  it('falls back to MemTotal without memory blocks, and to 0 without either', () => {
    const s = emptySnapshot();
    s.files['/proc/meminfo'] = 'MemTotal: 1024 kB\n';
    expect(detectMemoryBytes(s)).toBe(1024 * 1024);
    expect(detectMemoryBytes(emptySnapshot())).toBe(0);
  });
});
