import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mustRun, type Exec } from './exec.ts';

/** Size and logical sector size of a write target: a block device (from sysfs) or, in tests, a regular file. */
export interface Geometry {
  sizeBytes: number;
  sectorSize: number;
  isBlockDevice: boolean;
}

/** sysfs reports sizes in 512-byte units whatever the logical sector size (Documentation/ABI/stable/sysfs-block). */
export function deviceGeometry(path: string, sysfs = '/sys/class/block'): Geometry {
  const st = statSync(path);
  if (st.isFile()) return { sizeBytes: st.size, sectorSize: 512, isBlockDevice: false };
  if (!st.isBlockDevice()) throw new Error(`${path} is neither a block device nor a file`);
  const name = basename(realpathSync(path));
  const read = (f: string) => Number(readFileSync(`${sysfs}/${name}/${f}`, 'utf8').trim());
  const sectors = read('size');
  let sectorSize = 512;
  try {
    sectorSize = read('queue/logical_block_size') || 512;
  } catch {
    // partitions have no queue/; whole disks always do
  }
  return { sizeBytes: sectors * 512, sectorSize, isBlockDevice: true };
}

/** The kernel's name of partition n: a "p" goes between a disk name ending in a digit and the number (nvme0n1p1, mmcblk0p1, loop0p1). */
export function partitionPath(diskPath: string, n: number): string {
  return /\d$/.test(diskPath) ? `${diskPath}p${n}` : `${diskPath}${n}`;
}

/**
 * Asks the kernel to re-read the partition table (BLKRRPART, which Node cannot issue):
 * busybox `blockdev --rereadpt`, else `partprobe`. Then waits for the partition nodes that
 * devtmpfs creates, running busybox `mdev -s` once if they do not show up (a /dev without devtmpfs).
 */
export async function rereadPartitions(exec: Exec, disk: string, expected: string[], exists = existsSync): Promise<void> {
  try {
    await mustRun(exec, 'blockdev', ['--rereadpt', disk]);
  } catch (first) {
    try {
      await mustRun(exec, 'partprobe', [disk]);
    } catch {
      throw new Error(`the kernel did not take the new partition table of ${disk} (is a partition mounted?): ${(first as Error).message}`);
    }
  }
  if (await waitFor(() => expected.every((p) => exists(p)))) return;
  await exec('mdev', ['-s']).catch(() => undefined);
  if (!(await waitFor(() => expected.every((p) => exists(p))))) {
    throw new Error(`partition devices ${expected.filter((p) => !exists(p)).join(', ')} did not appear after re-reading ${disk}`);
  }
}

async function waitFor(ok: () => boolean, tries = 25, stepMs = 200): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (ok()) return true;
    await sleep(stepMs);
  }
  return ok();
}
