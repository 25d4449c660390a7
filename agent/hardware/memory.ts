import { children, readTrimmed, type Snapshot } from './snapshot.ts';

const MEMORY_DIR = '/sys/devices/system/memory';

/** MemTotal of /proc/meminfo in bytes (the file says kB, meaning KiB). */
export function memTotalBytes(meminfo: string): number | undefined {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(meminfo);
  return m ? Number(m[1]) * 1024 : undefined;
}

/**
 * Installed memory in bytes. Prefer the sum of online memory blocks (Documentation/
 * admin-guide/mm/memory-hotplug): it counts what the kernel reserved for itself, which
 * MemTotal leaves out, so a 1536 MiB machine reads 1536 MiB, not 1.45 GiB.
 */
export function detectMemoryBytes(s: Snapshot): number {
  return memoryBlocksBytes(s) ?? memTotalBytes(s.files['/proc/meminfo'] ?? '') ?? 0;
}

export function memoryBlocksBytes(s: Snapshot): number | undefined {
  const sizeHex = readTrimmed(s, `${MEMORY_DIR}/block_size_bytes`);
  if (!sizeHex || !/^[0-9a-f]+$/i.test(sizeHex)) return undefined;
  const blockSize = parseInt(sizeHex, 16);
  const ram = systemRam(s.files['/proc/iomem'] ?? '');
  const online = children(s, MEMORY_DIR).filter(
    (n) => /^memory\d+$/.test(n) && readTrimmed(s, `${MEMORY_DIR}/${n}/state`) === 'online' && holdsRam(s, n, blockSize, ram),
  );
  return online.length > 0 ? online.length * blockSize : undefined;
}

/**
 * Whether a memory block holds any "System RAM" of /proc/iomem. A block can be online with
 * none: on arm64 the firmware's no-map regions (AAVMF's variable flash at 64 MiB on QEMU's
 * virt machine) get a block of their own, which counted one 128 MiB block too many. Without
 * the ranges (not root: iomem reads as zeros) or the block's index, every online block counts.
 */
function holdsRam(s: Snapshot, block: string, blockSize: number, ram: Array<[number, number]>): boolean {
  const index = readTrimmed(s, `${MEMORY_DIR}/${block}/phys_index`);
  if (ram.length === 0 || !index || !/^[0-9a-f]+$/i.test(index)) return true;
  const start = parseInt(index, 16) * blockSize;
  return ram.some(([from, to]) => from < start + blockSize && to >= start);
}

/** Top-level "System RAM" ranges of /proc/iomem (inclusive ends); none when they read as zeros. */
export function systemRam(iomem: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const m of iomem.matchAll(/^([0-9a-f]+)-([0-9a-f]+) : System RAM$/gim)) ranges.push([parseInt(m[1], 16), parseInt(m[2], 16)]);
  return ranges.some(([, to]) => to > 0) ? ranges : [];
}
