import type { Disk } from '../../core/model/hardware.ts';
import { children, readInt, readTrimmed, resolveLink, type Snapshot } from './snapshot.ts';

const BLOCK_DIR = '/sys/block';
const SECTOR_BYTES = 512; // /sys/block/X/size is always in 512-byte units, whatever the logical block size

/** Loop, RAM, compressed-RAM, device-mapper, optical, software RAID and similar are not install targets. */
export function isSkippedBlockDevice(name: string): boolean {
  return /^(loop|ram|zram|dm-|sr|md|nbd|fd|mtdblock)\d*/.test(name);
}

/** The bus a disk hangs off, read from its /sys/devices path (most specific first). */
export function transportFromDevicePath(path: string): string | undefined {
  if (/\/usb\d*\//.test(path)) return 'usb';
  if (/\/nvme\//.test(path) || /\/nvme-subsystem\//.test(path)) return 'nvme';
  if (/\/ata\d+\//.test(path)) return 'sata';
  if (/\/host\d+\/(target|rport|port)/.test(path)) return 'scsi';
  if (/\/virtio\d+\//.test(path)) return 'virtio';
  if (/\/mmc_host\//.test(path)) return 'mmc';
  return undefined;
}

export function detectDisks(s: Snapshot): Disk[] {
  const disks: Disk[] = [];
  for (const name of children(s, BLOCK_DIR)) {
    if (isSkippedBlockDevice(name)) continue;
    const disk = diskFacts(s, name);
    if (disk) disks.push(disk);
  }
  return disks;
}

function diskFacts(s: Snapshot, name: string): Disk | undefined {
  const dir = `${BLOCK_DIR}/${name}`;
  const sectors = readInt(s, `${dir}/size`);
  if (sectors === undefined || sectors < 0) return undefined;
  const disk: Disk = { name, path: `/dev/${name}`, sizeBytes: sectors * SECTOR_BYTES };
  const model = clean(readTrimmed(s, `${dir}/device/model`));
  const serial = clean(readTrimmed(s, `${dir}/device/serial`) ?? readTrimmed(s, `${dir}/serial`));
  const wwn = clean(readTrimmed(s, `${dir}/wwid`) ?? readTrimmed(s, `${dir}/device/wwid`));
  const rotational = readInt(s, `${dir}/queue/rotational`);
  const removable = readInt(s, `${dir}/removable`);
  const transport = transportFromDevicePath(resolveLink(s, dir) ?? '');
  if (model) disk.model = model;
  if (serial) disk.serial = serial;
  if (wwn) disk.wwn = wwn;
  if (rotational !== undefined) disk.rotational = rotational === 1;
  if (removable !== undefined) disk.removable = removable === 1;
  if (transport) disk.transport = transport;
  return disk;
}

/** SCSI INQUIRY strings are space padded; some wwids pad with runs of spaces inside. */
function clean(v: string | undefined): string | undefined {
  const t = v?.replace(/\s+/g, ' ').trim();
  return t ? t : undefined;
}
