import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

/** Writes the image's files (kernel modules left out) under `root`, to run its programs in a chroot. */
export function unpackImage(entries: CpioEntry[], root: string): void {
  for (const e of entries) {
    if (e.path.startsWith('lib/modules/')) continue;
    const at = join(root, e.path);
    mkdirSync(dirname(at), { recursive: true });
    if (e.type === 'dir') mkdirSync(at, { recursive: true });
    else if (e.type === 'symlink') symlinkSync(e.target!, at);
    else if (e.type === 'file') writeFileSync(at, e.data!, { mode: e.mode });
  }
}
