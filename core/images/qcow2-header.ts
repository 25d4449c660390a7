/**
 * The qcow2 header (QEMU's docs/interop/qcow2.txt, "Header"): a pure codec from the
 * first bytes of the file to the few fields a reader needs. Features this reader cannot
 * honour are refused by name, so the operator knows which `qemu-img convert` option to drop.
 */

import { bytesText, DEFAULT_MAX_IMAGE_BYTES } from './space.ts';

export const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"

/** Smallest and largest cluster_bits QEMU accepts (512 B to 2 MiB clusters). */
const MIN_CLUSTER_BITS = 9;
const MAX_CLUSTER_BITS = 21;
/** QEMU's QCOW_MAX_L1_SIZE and QCOW_MAX_REFTABLE_SIZE, bytes: larger tables are refused as corrupt. */
const MAX_L1_BYTES = 32 * 1024 * 1024;
const MAX_REFTABLE_BYTES = 8 * 1024 * 1024;
/** QEMU's QCOW_MAX_SNAPSHOTS. */
const MAX_SNAPSHOTS = 65536;
/** refcount_order: refcounts are 2^order bits wide, 1 to 64 bits. */
const MAX_REFCOUNT_ORDER = 6;

/** incompatible_features bits (v3 header bytes 72-79). */
const INCOMPAT = {
  dirty: 1n << 0n,
  corrupt: 1n << 1n,
  externalData: 1n << 2n,
  compressionType: 1n << 3n,
  extendedL2: 1n << 4n,
} as const;
const KNOWN_INCOMPAT = INCOMPAT.dirty | INCOMPAT.corrupt | INCOMPAT.externalData | INCOMPAT.compressionType | INCOMPAT.extendedL2;

export interface Qcow2Header {
  version: 2 | 3;
  clusterBits: number;
  clusterSize: number;
  /** Virtual disk size, bytes. */
  size: number;
  l1Size: number;
  l1TableOffset: number;
  refcountTableOffset: number;
  refcountTableClusters: number;
  nbSnapshots: number;
  snapshotsOffset: number;
  /** v3 "dirty" bit: refcounts may be stale, which a reader does not use, so it is only reported. */
  dirty: boolean;
}

export interface Qcow2Limits {
  /** Largest virtual size accepted, bytes; default DEFAULT_MAX_IMAGE_BYTES (2 TiB). */
  maxVirtualSize?: number;
}

export class Qcow2Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Qcow2Error';
  }
}

/** Bytes to read from the start of the file to decode the header (v3 minimum plus compression_type). */
export const HEADER_READ_BYTES = 112;

function u64(b: Buffer, at: number, field: string): bigint {
  if (b.length < at + 8) throw new Qcow2Error(`qcow2 header truncated at ${field} (byte ${at}, have ${b.length} bytes)`);
  return b.readBigUInt64BE(at);
}

function u32(b: Buffer, at: number, field: string): number {
  if (b.length < at + 4) throw new Qcow2Error(`qcow2 header truncated at ${field} (byte ${at}, have ${b.length} bytes)`);
  return b.readUInt32BE(at);
}

/** A u64 offset or size as a JS number; past 2^53 it cannot be a real file position. */
function safe(v: bigint, field: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Qcow2Error(`qcow2 ${field} ${v} is too large`);
  return Number(v);
}

/**
 * Decodes the header or throws a Qcow2Error naming the field or the unsupported feature.
 * Only what the header alone says is checked here; checkQcow2Layout adds the file size.
 */
export function decodeQcow2Header(b: Buffer, limits: Qcow2Limits = {}): Qcow2Header {
  const magic = u32(b, 0, 'magic');
  if (magic !== QCOW2_MAGIC) throw new Qcow2Error(`not a qcow2 image: magic is 0x${magic.toString(16)}, want 0x514649fb ("QFI\\xfb")`);
  const version = u32(b, 4, 'version');
  if (version !== 2 && version !== 3) throw new Qcow2Error(`qcow2 version ${version} is not supported (2 or 3)`);
  if (u64(b, 8, 'backing_file_offset') !== 0n || u32(b, 16, 'backing_file_size') !== 0) {
    throw new Qcow2Error('qcow2 image has a backing file; flatten it first with `qemu-img convert -O qcow2 in.qcow2 out.qcow2`');
  }
  const clusterBits = u32(b, 20, 'cluster_bits');
  if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
    throw new Qcow2Error(`qcow2 cluster_bits ${clusterBits} is out of range (${MIN_CLUSTER_BITS}-${MAX_CLUSTER_BITS})`);
  }
  const size = checkVirtualSize(u64(b, 24, 'size'), limits.maxVirtualSize ?? DEFAULT_MAX_IMAGE_BYTES);
  const cryptMethod = u32(b, 32, 'crypt_method');
  if (cryptMethod !== 0) throw new Qcow2Error(`qcow2 image is encrypted (crypt_method ${cryptMethod}${cryptMethod === 1 ? ', AES' : cryptMethod === 2 ? ', LUKS' : ''}); encryption is not supported`);
  const clusterSize = 2 ** clusterBits;
  const h: Qcow2Header = {
    version,
    clusterBits,
    clusterSize,
    size,
    l1Size: u32(b, 36, 'l1_size'),
    l1TableOffset: safe(u64(b, 40, 'l1_table_offset'), 'l1_table_offset'),
    refcountTableOffset: safe(u64(b, 48, 'refcount_table_offset'), 'refcount_table_offset'),
    refcountTableClusters: u32(b, 56, 'refcount_table_clusters'),
    nbSnapshots: u32(b, 60, 'nb_snapshots'),
    snapshotsOffset: safe(u64(b, 64, 'snapshots_offset'), 'snapshots_offset'),
    dirty: false,
  };
  if (version === 3) h.dirty = checkV3Features(b, clusterSize);
  checkTables(h);
  return h;
}

/** The claimed disk size against the cap: a header claiming 2^60 bytes must not be written out. */
function checkVirtualSize(size: bigint, max: number): number {
  if (size > BigInt(max)) {
    throw new Qcow2Error(`qcow2 virtual size ${bytesText(size)} is larger than the limit of ${bytesText(max)} (the image cache's maxImageBytes); the header is corrupt or the image is not meant for this cache`);
  }
  return Number(size);
}

/** The v3 feature words: refuses every incompatible feature except the harmless dirty bit. */
function checkV3Features(b: Buffer, clusterSize: number): boolean {
  const incompat = u64(b, 72, 'incompatible_features');
  const refcountOrder = u32(b, 96, 'refcount_order');
  const headerLength = u32(b, 100, 'header_length');
  if (incompat & INCOMPAT.corrupt) throw new Qcow2Error('qcow2 image is marked corrupt; repair it with `qemu-img check -r all`');
  if (incompat & INCOMPAT.externalData) throw new Qcow2Error('qcow2 image uses an external data file; this is not supported');
  if (incompat & INCOMPAT.extendedL2) throw new Qcow2Error('qcow2 image uses extended L2 entries (subclusters); this is not supported');
  if (incompat & INCOMPAT.compressionType) {
    const type = headerLength > 104 && b.length > 104 ? b[104] : -1;
    const name = type === 1 ? 'zstd' : `type ${type}`;
    throw new Qcow2Error(`qcow2 image uses ${name} compression; only deflate (zlib) is supported`);
  }
  if (incompat & ~KNOWN_INCOMPAT) throw new Qcow2Error(`qcow2 image uses unknown incompatible features 0x${incompat.toString(16)}`);
  if (headerLength < 104) throw new Qcow2Error(`qcow2 v3 header_length ${headerLength} is shorter than 104`);
  if (headerLength % 8 !== 0 || headerLength > clusterSize) {
    throw new Qcow2Error(`qcow2 v3 header_length ${headerLength} is not a multiple of 8 within the first cluster (${clusterSize} bytes)`);
  }
  if (headerLength > 104 && b.length > 104 && b[104] !== 0) {
    throw new Qcow2Error(`qcow2 compression_type is ${b[104]} but the compression type feature bit is not set`);
  }
  if (refcountOrder > MAX_REFCOUNT_ORDER) throw new Qcow2Error(`qcow2 refcount_order ${refcountOrder} is out of range (0-${MAX_REFCOUNT_ORDER})`);
  return (incompat & INCOMPAT.dirty) !== 0n;
}

/** Table sizes and alignment that the header alone decides (QEMU's limits; "Header" in qcow2.txt). */
function checkTables(h: Qcow2Header): void {
  if (h.l1Size * 8 > MAX_L1_BYTES) throw new Qcow2Error(`qcow2 l1_size ${h.l1Size} is larger than QEMU's limit of ${MAX_L1_BYTES / 8} entries`);
  checkL1Covers(h.size, h.clusterBits, h.l1Size);
  if (h.l1Size > 0 && h.l1TableOffset % h.clusterSize !== 0) throw new Qcow2Error(`qcow2 l1_table_offset ${h.l1TableOffset} is not cluster aligned`);
  if (h.l1Size > 0 && h.l1TableOffset === 0) throw new Qcow2Error('qcow2 l1_table_offset is 0, which is the header');
  if (h.refcountTableClusters * h.clusterSize > MAX_REFTABLE_BYTES) {
    throw new Qcow2Error(`qcow2 refcount_table_clusters ${h.refcountTableClusters} is larger than QEMU's limit of ${MAX_REFTABLE_BYTES} bytes`);
  }
  if (h.refcountTableOffset % h.clusterSize !== 0) throw new Qcow2Error(`qcow2 refcount_table_offset ${h.refcountTableOffset} is not cluster aligned`);
  if (h.nbSnapshots > MAX_SNAPSHOTS) throw new Qcow2Error(`qcow2 nb_snapshots ${h.nbSnapshots} is larger than QEMU's limit of ${MAX_SNAPSHOTS}`);
}

/** The L1 table must map the whole virtual size; otherwise reads would index past it. */
function checkL1Covers(size: number, clusterBits: number, l1Size: number): void {
  const bytesPerL2 = 2 ** (clusterBits + clusterBits - 3);
  const need = Math.ceil(size / bytesPerL2);
  if (l1Size < need) throw new Qcow2Error(`qcow2 l1_size ${l1Size} is too small for a ${size}-byte disk (need ${need})`);
}

/** Every table the header points to must lie inside the file: a truncated or forged file fails here, before any output. */
export function checkQcow2Layout(h: Qcow2Header, fileSize: number): void {
  const inFile = (offset: number, length: number, what: string) => {
    if (offset + length > fileSize) throw new Qcow2Error(`qcow2 ${what} (${length} bytes at ${offset}) runs past the end of the file (${fileSize} bytes)`);
  };
  inFile(h.l1TableOffset, h.l1Size * 8, 'L1 table');
  if (h.refcountTableClusters > 0) inFile(h.refcountTableOffset, h.refcountTableClusters * h.clusterSize, 'refcount table');
  if (h.nbSnapshots > 0) inFile(h.snapshotsOffset, 1, 'snapshot table');
}

/** What one L2 entry says about its guest cluster ("Cluster mapping" in qcow2.txt). */
export type ClusterMapping =
  | { kind: 'zero' }
  | { kind: 'data'; hostOffset: number }
  | { kind: 'compressed'; hostOffset: number; compressedBytes: number };

const OFFSET_MASK = 0x00fffffffffffe00n;
const COMPRESSED = 1n << 62n;

/** Decodes an L2 entry. Unallocated clusters read as zeros because backing files are refused. */
export function decodeL2Entry(entry: bigint, clusterBits: number): ClusterMapping {
  if (entry & COMPRESSED) return decodeCompressed(entry, clusterBits);
  if (entry & 1n) return { kind: 'zero' }; // v3 "all zeroes" flag
  const hostOffset = Number(entry & OFFSET_MASK);
  return hostOffset === 0 ? { kind: 'zero' } : { kind: 'data', hostOffset };
}

/**
 * Compressed cluster descriptor: bits 0..x-1 hold the host offset and bits x..61 the number
 * of additional 512-byte sectors, with x = 62 - (cluster_bits - 8). The data starts at the
 * offset and ends at the end of the last sector, so its length is sectors*512 minus the offset
 * within the first sector.
 */
function decodeCompressed(entry: bigint, clusterBits: number): ClusterMapping {
  const x = BigInt(62 - (clusterBits - 8));
  const hostOffset = Number(entry & ((1n << x) - 1n));
  const extraSectors = Number((entry >> x) & ((1n << (62n - x)) - 1n));
  const compressedBytes = (extraSectors + 1) * 512 - (hostOffset % 512);
  return { kind: 'compressed', hostOffset, compressedBytes };
}

/** An L1 entry's L2 table offset; 0 means the whole L2 range is unallocated. */
export function l2TableOffset(entry: bigint): number {
  return Number(entry & OFFSET_MASK);
}

/**
 * A mapping that cannot be read: a standard cluster must be cluster aligned (QEMU marks the
 * image corrupt otherwise) and every host offset must lie inside the file.
 */
export function checkMapping(m: ClusterMapping, clusterSize: number, fileSize: number, where: string): void {
  if (m.kind === 'zero') return;
  const what = m.kind === 'compressed' ? `compressed ${where}` : where;
  if (m.hostOffset >= fileSize) throw new Qcow2Error(`qcow2 ${what} points to host offset ${m.hostOffset}, past the end of the file (${fileSize} bytes)`);
  if (m.kind === 'data' && m.hostOffset % clusterSize !== 0) throw new Qcow2Error(`qcow2 ${where} points to host offset ${m.hostOffset}, which is not cluster aligned`);
}
