import { crc32 } from 'node:zlib';
import { GPT_ENTRIES, GPT_ENTRY_SIZE, gptEntrySectors, lastUsableLba, type Layout, type PartitionRole } from './partition-layout.ts';

/** GPT partition type GUIDs (UEFI 2.10 §5.3.3 and the Linux/GRUB registrations). */
export const gptTypeGuid: Record<PartitionRole, string> = {
  esp: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  'bios-boot': '21686148-6449-6E6F-744E-656564454649',
  root: '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
  data: '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
  swap: '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F',
};

/** MBR partition type bytes; bios-boot has none (planLayout refuses it on MBR). */
export const mbrType: Record<PartitionRole, number> = { esp: 0xef, 'bios-boot': 0, root: 0x83, data: 0x83, swap: 0x82 };

/** One write the partitioner makes: bytes at a byte offset of the device. */
export interface DiskWrite {
  offset: number;
  bytes: Buffer;
  what: string;
}

/** GUIDs for a new GPT; random in production, fixed in tests. */
export interface GptIds {
  disk: string;
  partitions: string[];
}

/** GUID text -> its 16 on-disk bytes: the first three fields little-endian, the rest as written (UEFI Appendix A). */
export function guidToBytes(guid: string): Buffer {
  const hex = guid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`not a GUID: ${guid}`);
  const b = Buffer.from(hex, 'hex');
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  return b;
}

/** A version 4 GUID from 16 random bytes. */
export function guidFromRandom(r: Uint8Array): string {
  const b = Buffer.from(r.subarray(0, 16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The four writes of a GPT: protective MBR, primary header + entries, backup entries + header. */
export function encodeGpt(layout: Layout, ids: GptIds): DiskWrite[] {
  const { sectorSize: ss, totalSectors } = layout;
  const entrySectors = gptEntrySectors(ss);
  const lastLba = totalSectors - 1;
  const entries = gptEntries(layout, ids);
  const entriesCrc = crc32(entries);
  const common = { diskGuid: ids.disk, firstUsable: 2 + entrySectors, lastUsable: lastUsableLba('gpt', totalSectors, ss), entriesCrc };
  const primary = gptHeader(ss, { ...common, myLba: 1, altLba: lastLba, entriesLba: 2 });
  const backupEntriesLba = lastLba - entrySectors;
  const backup = gptHeader(ss, { ...common, myLba: lastLba, altLba: 1, entriesLba: backupEntriesLba });
  return [
    { offset: 0, bytes: protectiveMbr(totalSectors), what: 'protective MBR' },
    { offset: ss, bytes: Buffer.concat([primary, padTo(entries, entrySectors * ss)]), what: 'primary GPT header and entries' },
    { offset: backupEntriesLba * ss, bytes: Buffer.concat([padTo(entries, entrySectors * ss), backup]), what: 'backup GPT entries and header' },
  ];
}

function gptEntries(layout: Layout, ids: GptIds): Buffer {
  const buf = Buffer.alloc(GPT_ENTRIES * GPT_ENTRY_SIZE);
  layout.partitions.forEach((p, i) => {
    const e = buf.subarray(i * GPT_ENTRY_SIZE, (i + 1) * GPT_ENTRY_SIZE);
    guidToBytes(gptTypeGuid[p.role]).copy(e, 0);
    guidToBytes(ids.partitions[i]).copy(e, 16);
    e.writeBigUInt64LE(BigInt(p.firstLba), 32);
    e.writeBigUInt64LE(BigInt(p.lastLba), 40);
    // attributes (offset 48) stay 0; bit 2 "legacy BIOS bootable" is for MBR-style boot loaders only
    e.write(p.label.slice(0, 36), 56, 72, 'utf16le');
  });
  return buf;
}

interface HeaderFields {
  diskGuid: string;
  myLba: number;
  altLba: number;
  firstUsable: number;
  lastUsable: number;
  entriesLba: number;
  entriesCrc: number;
}

/** GPT header, UEFI 2.10 §5.3.2 table 5-5; the CRC covers the 92 header bytes with the CRC field zeroed. */
function gptHeader(sectorSize: number, f: HeaderFields): Buffer {
  const h = Buffer.alloc(sectorSize);
  h.write('EFI PART', 0, 'latin1');
  h.writeUInt32LE(0x00010000, 8); // revision 1.0
  h.writeUInt32LE(92, 12); // header size
  h.writeBigUInt64LE(BigInt(f.myLba), 24);
  h.writeBigUInt64LE(BigInt(f.altLba), 32);
  h.writeBigUInt64LE(BigInt(f.firstUsable), 40);
  h.writeBigUInt64LE(BigInt(f.lastUsable), 48);
  guidToBytes(f.diskGuid).copy(h, 56);
  h.writeBigUInt64LE(BigInt(f.entriesLba), 72);
  h.writeUInt32LE(GPT_ENTRIES, 80);
  h.writeUInt32LE(GPT_ENTRY_SIZE, 84);
  h.writeUInt32LE(f.entriesCrc, 88);
  h.writeUInt32LE(crc32(h.subarray(0, 92)), 16);
  return h;
}

/** One 0xEE partition covering the disk (or 2^32-1 sectors), so MBR-only tools leave it alone (UEFI §5.2.3). */
function protectiveMbr(totalSectors: number): Buffer {
  const m = Buffer.alloc(512);
  mbrEntry(m, 0, { boot: false, type: 0xee, firstLba: 1, sectors: Math.min(totalSectors - 1, 0xffffffff) });
  m.writeUInt16LE(0xaa55, 510);
  return m;
}

/** A classic MBR: disk signature, up to four primary partitions, 0x55AA. The root partition is marked active for old BIOSes. */
export function encodeMbr(layout: Layout, diskSignature: number): DiskWrite[] {
  const m = Buffer.alloc(512);
  m.writeUInt32LE(diskSignature >>> 0, 440);
  const active = layout.partitions.find((p) => p.role === 'root') ?? layout.partitions[0];
  const perSector = layout.sectorSize / 512;
  layout.partitions.forEach((p, i) => {
    const sectors = p.lastLba - p.firstLba + 1;
    mbrEntry(m, i, { boot: p === active, type: mbrType[p.role], firstLba: p.firstLba, sectors, chsScale: perSector });
  });
  m.writeUInt16LE(0xaa55, 510);
  return [{ offset: 0, bytes: m, what: 'MBR' }];
}

interface MbrEntry {
  boot: boolean;
  type: number;
  firstLba: number;
  sectors: number;
  chsScale?: number;
}

function mbrEntry(m: Buffer, index: number, e: MbrEntry): void {
  const o = 446 + index * 16;
  m[o] = e.boot ? 0x80 : 0;
  chs(e.firstLba * (e.chsScale ?? 1)).copy(m, o + 1);
  m[o + 4] = e.type;
  chs((e.firstLba + e.sectors - 1) * (e.chsScale ?? 1)).copy(m, o + 5);
  m.writeUInt32LE(e.firstLba, o + 8);
  m.writeUInt32LE(e.sectors, o + 12);
}

/** LBA -> cylinder/head/sector with the 255-head, 63-sector geometry; beyond 1024 cylinders the "use LBA" marker FE FF FF. */
export function chs(lba: number): Buffer {
  const perCyl = 255 * 63;
  if (lba >= 1024 * perCyl) return Buffer.from([0xfe, 0xff, 0xff]);
  const c = Math.floor(lba / perCyl);
  const h = Math.floor(lba / 63) % 255;
  const s = (lba % 63) + 1;
  return Buffer.from([h, ((c >> 2) & 0xc0) | s, c & 0xff]);
}

function padTo(b: Buffer, size: number): Buffer {
  return b.length >= size ? b : Buffer.concat([b, Buffer.alloc(size - b.length)]);
}
