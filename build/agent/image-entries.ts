import { spawnSync } from 'node:child_process';
import { decodeCpio, type CpioEntry } from './cpio.mjs';

/**
 * The files of a built agent initramfs (zstd-compressed cpio layers), read once on first use.
 * Layers in order, a later entry replacing an earlier one, as the kernel unpacks them.
 */
export function imageEntries(imageFile: string): () => CpioEntry[] {
  let cached: CpioEntry[] | undefined;
  return () => {
    if (cached) return cached;
    const r = spawnSync('zstd', ['-dcq', imageFile], { maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`zstd -d ${imageFile}: ${r.stderr}`);
    const byPath = new Map<string, CpioEntry>();
    for (const e of decodeCpio(r.stdout)) byPath.set(e.path, e);
    return (cached = [...byPath.values()]);
  };
}
