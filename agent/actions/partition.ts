import { randomBytes, randomInt } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Static } from 'typebox';
import type { HardwareFacts } from '../../core/model/hardware.ts';
import type { PartitionAction } from '../../core/model/template.ts';
import { deviceGeometry, partitionPath, rereadPartitions, type Geometry } from './block-device.ts';
import { selectDisk } from './disk-select.ts';
import type { Exec } from './exec.ts';
import { MiB, planLayout, type Layout } from './partition-layout.ts';
import { encodeGpt, encodeMbr, guidFromRandom, type DiskWrite } from './partition-table.ts';

export interface PartitionDeps {
  facts: HardwareFacts;
  exec: Exec;
  say?: (line: string) => void;
  /** Test seam: the geometry of the target (default: sysfs or the file size). */
  geometry?: (path: string) => Geometry;
  random?: (n: number) => Uint8Array;
  /** Test seam: make the kernel see the new table (default: blockdev --rereadpt, then wait for the nodes). */
  reread?: (disk: string, partitions: string[]) => Promise<void>;
}

/** Writes the action's partition table to its disk and makes the kernel see it. Throws with the reason. */
export async function runPartition(action: Static<typeof PartitionAction>, d: PartitionDeps): Promise<Layout> {
  const chosen = selectDisk(d.facts.disks, action.disk);
  if (!chosen.ok) throw new Error(chosen.error);
  const dev = chosen.disk.path;
  const geo = (d.geometry ?? deviceGeometry)(dev);
  const plan = planLayout(action.table, action.partitions, geo.sizeBytes, geo.sectorSize);
  if (!plan.ok) throw new Error(`${dev}: ${plan.error}`);
  const writes = tableWrites(plan.layout, d.random ?? ((n) => randomBytes(n)));
  await writeTable(dev, geo.sizeBytes, writes);
  d.say?.(`${dev}: wrote ${action.table.toUpperCase()} with ${plan.layout.partitions.length} partitions`);
  if (geo.isBlockDevice) {
    const parts = plan.layout.partitions.map((p) => partitionPath(dev, p.number));
    await (d.reread ?? ((disk, p) => rereadPartitions(d.exec, disk, p)))(dev, parts);
  }
  return plan.layout;
}

export function tableWrites(layout: Layout, random: (n: number) => Uint8Array): DiskWrite[] {
  if (layout.table === 'mbr') return encodeMbr(layout, Buffer.from(random(4)).readUInt32LE(0) || randomInt(1, 0xffffffff));
  return encodeGpt(layout, {
    disk: guidFromRandom(random(16)),
    partitions: layout.partitions.map(() => guidFromRandom(random(16))),
  });
}

/**
 * Clears the first MiB and the last MiB (old boot loaders, old primary and backup GPTs that
 * would make tools and firmware see a stale table), writes the table, fsyncs.
 */
export async function writeTable(dev: string, sizeBytes: number, writes: DiskWrite[]): Promise<void> {
  const fh = await open(dev, 'r+');
  try {
    const zeros = Buffer.alloc(Math.min(MiB, sizeBytes));
    await writeAll(fh, zeros, 0);
    await writeAll(fh, zeros, sizeBytes - zeros.length);
    for (const w of writes) await writeAll(fh, w.bytes, w.offset);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeAll(fh: Awaited<ReturnType<typeof open>>, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    if (bytesWritten <= 0) throw new Error(`short write at byte ${position + done}`);
    done += bytesWritten;
  }
}
