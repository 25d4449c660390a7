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
  const online = children(s, MEMORY_DIR).filter(
    (n) => /^memory\d+$/.test(n) && readTrimmed(s, `${MEMORY_DIR}/${n}/state`) === 'online',
  );
  return online.length > 0 ? online.length * blockSize : undefined;
}
