/**
 * The lab's installed OS (build.sh) as a VM disk of its own, with the seed file that a template's
 * writefile action would put on its ESP: tests that boot the installed OS directly, without a
 * provisioning run. build.sh is run first (it does nothing when the image is up to date).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const repo = join(import.meta.dirname, '..', '..', '..');
export const LAB_DISK = join(repo, '.cache', 'lab-disk', 'disk.raw');

/** Builds the lab disk image if it is missing or stale (several minutes the first time). */
export function buildLabDisk(): void {
  execFileSync('bash', [join(import.meta.dirname, 'build.sh')], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Byte offset of GPT partition `n` (1-based): its first LBA, from the entry array at LBA 2. */
export function partitionOffset(file: string, n: number): number {
  const entry = Buffer.alloc(128);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, entry, 0, 128, 2 * 512 + (n - 1) * 128);
  } finally {
    closeSync(fd);
  }
  const first = Number(entry.readBigUInt64LE(32));
  if (first === 0) throw new Error(`${file}: GPT partition ${n} is empty`);
  return first * 512;
}

/**
 * A copy of the lab disk at `dir`/disk.raw whose ESP (partition 2) holds /dragonfly-seed.txt
 * with `seed`'s lines, e.g. { hostname: 'lab-login', console: 'login' }. Returns the copy's path.
 */
export function seededLabDisk(dir: string, seed: Record<string, string>): string {
  const disk = join(dir, 'disk.raw');
  copyFileSync(LAB_DISK, disk);
  const file = join(dir, 'dragonfly-seed.txt');
  writeFileSync(file, Object.entries(seed).map(([k, v]) => `${k}=${v}\n`).join(''));
  // mtools writes into the FAT in place: no loop device, no mount, no root.
  execFileSync('mcopy', ['-o', '-i', `${disk}@@${partitionOffset(disk, 2)}`, file, '::/dragonfly-seed.txt'], {
    env: { ...process.env, MTOOLS_SKIP_CHECK: '1' }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  return disk;
}
