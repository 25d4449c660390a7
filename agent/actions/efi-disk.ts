/**
 * What a boot option must name to be "this disk": the PCI device behind it (from sysfs) and
 * its partitions (from its own partition table, for Hard Drive nodes that name a partition by
 * its GPT GUID or MBR signature).
 */
import { ByteReader } from '../../core/shared/bytes.ts';
import { open, readFile, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { EfiDecodeError, guidFromBytes, PNP0A03, readFailure, PNP0A08, type DevicePath, type HardDriveNode } from './efi-device-path.ts';

/** One PCI function on the way from the root bridge to the disk's controller: a Pci(device,function) node. */
export interface PciFunction {
  device: number;
  function: number;
}

export interface PciLocation {
  /** "0000:00:04.0": the controller, as Linux names it. */
  address: string;
  /** The host bridge Linux calls pciSSSS:BB. */
  segment: number;
  rootBus: number;
  /** ACPI _UID of that host bridge (PciRoot(UID)), from sysfs firmware_node/uid; undefined when sysfs does not say. */
  rootUid?: number;
  /** Bridges, then the controller, as a device path lists them after PciRoot. */
  path: PciFunction[];
}

const ROOT_RE = /^pci([0-9a-f]{4}):([0-9a-f]{2})$/;
const BDF_RE = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/;

/**
 * The PCI path of a sysfs device directory, e.g.
 * /sys/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0 -> root 0000:00, path 1d.0 then 00.0.
 * Undefined when the device is not below a PCI host bridge (virtio-mmio, USB on a non-PCI host, loop).
 */
export function pciLocationOf(sysfsDevicePath: string): Omit<PciLocation, 'rootUid'> | undefined {
  const parts = sysfsDevicePath.split('/');
  const at = parts.findIndex((p) => ROOT_RE.test(p));
  if (at < 0) return undefined;
  const [, segment, bus] = ROOT_RE.exec(parts[at])!;
  const path: PciFunction[] = [];
  let address = '';
  for (const p of parts.slice(at + 1)) {
    const m = BDF_RE.exec(p);
    if (!m) break;
    path.push({ device: parseInt(m[3], 16), function: Number(m[4]) });
    address = p;
  }
  if (path.length === 0) return undefined;
  return { address, segment: parseInt(segment, 16), rootBus: parseInt(bus, 16), path };
}

/** The disk's PCI location from /sys/block/NAME/device, with the root bridge's _UID when ACPI exposes it. */
export async function readPciLocation(sysfs: string, diskName: string): Promise<PciLocation | string> {
  let dev: string;
  try {
    dev = await realpath(join(sysfs, 'block', diskName, 'device'));
  } catch (e) {
    return `${join(sysfs, 'block', diskName, 'device')}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
  const loc = pciLocationOf(dev);
  if (!loc) return `${dev} is not below a PCI host bridge`;
  const bridge = hostBridgeDir(dev);
  const uid = bridge ? await readFile(join(bridge, 'firmware_node', 'uid'), 'utf8').then((s) => s.trim(), () => undefined) : undefined;
  return { ...loc, rootUid: uid !== undefined && /^\d+$/.test(uid) ? Number(uid) : undefined };
}

/** Does a device path start at this disk's controller: PciRoot/PcieRoot(UID) then exactly its Pci() nodes? */
export function pathStartsAtPci(path: DevicePath, loc: PciLocation): boolean {
  const root = path[0];
  if (root?.kind !== 'acpi' || (root.hid !== PNP0A03 && root.hid !== PNP0A08)) return false;
  if (loc.rootUid !== undefined && root.uid !== loc.rootUid) return false;
  const pcis = [];
  for (const n of path.slice(1)) {
    if (n.kind !== 'pci') break;
    pcis.push(n);
  }
  return pcis.length === loc.path.length && pcis.every((n, i) => n.device === loc.path[i].device && n.function === loc.path[i].function);
}

export interface DiskPartition {
  /** 1-based index in the GPT entry array: the Hard Drive node's PartitionNumber. */
  number: number;
  typeGuid: string;
  uniqueGuid: string;
  firstLba: bigint;
  lastLba: bigint;
}

export type PartitionTableIdentity =
  | { table: 'gpt'; diskGuid: string; partitions: DiskPartition[] }
  | { table: 'mbr'; signature: number }
  | { table: 'none'; why: string };

/** GPT partition type of an EFI System Partition (UEFI 2.10 §5.3.3). */
export const ESP_TYPE_GUID = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';
const ZERO_GUID = '00000000-0000-0000-0000-000000000000';
/** A header claiming more than this much entry array is not trusted (the usual array is 16 KiB). */
const MAX_ENTRY_BYTES = 1 << 20;

export interface GptHeader {
  diskGuid: string;
  entriesLba: bigint;
  entryCount: number;
  entrySize: number;
  entriesCrc: number;
}

/** The primary GPT header (§5.3.2, Table 5.5) from LBA 1, its CRC32 checked. */
export function decodeGptHeader(sector: Uint8Array): GptHeader | EfiDecodeError {
  const r = new ByteReader(sector);
  const signature = Buffer.from(r.bytes(8, 'GPT signature')).toString('latin1');
  r.u32le('GPT revision');
  const headerSize = r.u32le('GPT HeaderSize');
  const headerCrc = r.u32le('GPT HeaderCRC32');
  const failed = readFailure(r);
  if (failed) return failed;
  if (signature !== 'EFI PART') return new EfiDecodeError('GPT signature', 'no "EFI PART" signature at LBA 1');
  if (headerSize < 92 || headerSize > sector.length) return new EfiDecodeError('GPT HeaderSize', `GPT HeaderSize ${headerSize}, want 92..${sector.length}`);
  const copy = Buffer.from(sector.subarray(0, headerSize));
  copy.writeUInt32LE(0, 16);
  if (crc32(copy) >>> 0 !== headerCrc) return new EfiDecodeError('GPT HeaderCRC32', 'GPT header CRC32 does not match');
  r.bytes(4 + 8 + 8 + 8 + 8, 'GPT LBAs');
  const diskGuid = guidFromBytes(r.bytes(16, 'GPT DiskGUID'));
  const entriesLba = r.u64le('GPT PartitionEntryLBA');
  const entryCount = r.u32le('GPT NumberOfPartitionEntries');
  const entrySize = r.u32le('GPT SizeOfPartitionEntry');
  const entriesCrc = r.u32le('GPT PartitionEntryArrayCRC32');
  const tableFailed = readFailure(r);
  if (tableFailed) return tableFailed;
  if (entrySize < 128 || entrySize % 8 !== 0) return new EfiDecodeError('GPT SizeOfPartitionEntry', `GPT entry size ${entrySize}, want 128 or a larger multiple of 8`);
  if (entryCount * entrySize > MAX_ENTRY_BYTES) return new EfiDecodeError('GPT NumberOfPartitionEntries', `GPT entry array of ${entryCount} x ${entrySize} bytes is implausibly large`);
  return { diskGuid, entriesLba, entryCount, entrySize, entriesCrc };
}

/** The used entries of a GPT partition entry array (§5.3.3, Table 5.6), CRC32 checked against the header. */
export function decodeGptEntries(bytes: Uint8Array, h: GptHeader): DiskPartition[] | EfiDecodeError {
  const all = bytes.subarray(0, h.entryCount * h.entrySize);
  if (all.length < h.entryCount * h.entrySize) return new EfiDecodeError('GPT entries', `GPT entry array is ${all.length} bytes, want ${h.entryCount * h.entrySize}`);
  if (crc32(all) >>> 0 !== h.entriesCrc) return new EfiDecodeError('GPT PartitionEntryArrayCRC32', 'GPT entry array CRC32 does not match');
  const out: DiskPartition[] = [];
  for (let i = 0; i < h.entryCount; i++) {
    const r = new ByteReader(all.subarray(i * h.entrySize, (i + 1) * h.entrySize));
    const typeGuid = guidFromBytes(r.bytes(16, 'type'));
    if (typeGuid === ZERO_GUID) continue;
    out.push({ number: i + 1, typeGuid, uniqueGuid: guidFromBytes(r.bytes(16, 'unique')), firstLba: r.u64le('first'), lastLba: r.u64le('last') });
  }
  return out;
}

/** GPT if LBA 1 holds a valid one, else MBR if sector 0 carries the 55 AA signature, else none. */
export async function readPartitionTable(device: string, sectorSize: number): Promise<PartitionTableIdentity> {
  const fh = await open(device, 'r');
  try {
    const read = async (offset: bigint, length: number) => {
      const b = Buffer.alloc(length);
      const { bytesRead } = await fh.read(b, 0, length, Number(offset));
      return b.subarray(0, bytesRead);
    };
    const header = decodeGptHeader(await read(BigInt(sectorSize), sectorSize));
    if (!(header instanceof EfiDecodeError)) {
      const entries = decodeGptEntries(await read(header.entriesLba * BigInt(sectorSize), header.entryCount * header.entrySize), header);
      if (!(entries instanceof EfiDecodeError)) return { table: 'gpt', diskGuid: header.diskGuid, partitions: entries };
      return { table: 'none', why: entries.message };
    }
    const mbr = await read(0n, 512);
    if (mbr.length === 512 && mbr[510] === 0x55 && mbr[511] === 0xaa) return { table: 'mbr', signature: mbr.readUInt32LE(440) };
    return { table: 'none', why: header.message };
  } finally {
    await fh.close();
  }
}

/** Does a Hard Drive node name a partition of this disk: its GPT unique GUID, or its MBR disk signature? */
export function hardDriveOnDisk(n: HardDriveNode, t: PartitionTableIdentity): boolean {
  if (n.signatureType === 2 && t.table === 'gpt') {
    const guid = guidFromBytes(n.signature);
    return t.partitions.some((p) => p.uniqueGuid === guid);
  }
  if (n.signatureType === 1 && t.table === 'mbr') return Buffer.from(n.signature).readUInt32LE(0) === t.signature;
  return false;
}

/** The directory of a sysfs path's host bridge (…/pci0000:00), for its firmware_node. */
export function hostBridgeDir(sysfsDevicePath: string): string | undefined {
  let p = sysfsDevicePath;
  while (p !== '/' && p !== '.') {
    const base = p.slice(p.lastIndexOf('/') + 1);
    if (ROOT_RE.test(base)) return p;
    p = dirname(p);
  }
  return undefined;
}
