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

  it('falls back to MemTotal without memory blocks, and to 0 without either', () => {
    const s = emptySnapshot();
    s.files['/proc/meminfo'] = 'MemTotal: 1024 kB\n';
    expect(detectMemoryBytes(s)).toBe(1024 * 1024);
    expect(detectMemoryBytes(emptySnapshot())).toBe(0);
  });
});
