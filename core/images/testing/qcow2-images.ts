/**
 * Builds qcow2 files byte by byte from the layout in QEMU's docs/interop/qcow2.txt, for tests
 * that need headers qemu-img would never write. A file built without `patch` is a valid image
 * (qemu-img check passes on it); tests then corrupt single fields with `patch`.
 *
 * Layout, one cluster each unless noted: header, refcount table, refcount block, L1 table
 * (as many clusters as it needs), L2 tables, data clusters.
 */

export interface CraftOptions {
  version?: 2 | 3;
  /** Default 16 (64 KiB clusters). */
  clusterBits?: number;
  /** Virtual size, bytes. */
  size: number | bigint;
  /** Guest cluster index → its contents (a standard, uncompressed cluster each). */
  data?: Array<[number, Buffer]>;
  /**
   * Every L1 entry points to the same L2 table, and every entry of that table to the same data
   * cluster (filled with 0xab): a tiny file whose disk is all allocated data.
   */
  aliasAll?: boolean;
  /** l1_size to write; default exactly what the virtual size needs. */
  l1Size?: number;
}

/** Header field offsets (qcow2.txt, "Header"). */
export const FIELD = {
  magic: 0,
  version: 4,
  backingFileOffset: 8,
  backingFileSize: 16,
  clusterBits: 20,
  size: 24,
  cryptMethod: 32,
  l1Size: 36,
  l1TableOffset: 40,
  refcountTableOffset: 48,
  refcountTableClusters: 56,
  nbSnapshots: 60,
  snapshotsOffset: 64,
  incompatibleFeatures: 72,
  compatibleFeatures: 80,
  autoclearFeatures: 88,
  refcountOrder: 96,
  headerLength: 100,
  compressionType: 104,
} as const;

export interface Crafted {
  file: Buffer;
  clusterSize: number;
  l1TableOffset: number;
  /** Host offsets of the L2 tables, in L1 order of first use. */
  l2Offsets: number[];
  /** Host offset of each data cluster, by guest cluster index. */
  dataOffsets: Map<number, number>;
}

export function craftQcow2(o: CraftOptions): Crafted {
  const version = o.version ?? 3;
  const bits = o.clusterBits ?? 16;
  const cs = 2 ** bits;
  const size = BigInt(o.size);
  const entriesPerL2 = cs / 8;
  const bytesPerL2 = BigInt(cs) * BigInt(entriesPerL2);
  const l1Need = Number((size + bytesPerL2 - 1n) / bytesPerL2);
  const l1Size = o.l1Size ?? l1Need;
  const l1Clusters = Math.max(1, Math.ceil((l1Size * 8) / cs));
  let next = 3 + l1Clusters; // header, refcount table, refcount block, L1
  const l1 = new Map<number, number>(); // L1 index -> L2 host cluster
  const l2 = new Map<number, Map<number, bigint>>(); // L2 host cluster -> entry index -> entry
  const contents = new Map<number, Buffer>(); // host cluster -> data
  const dataOffsets = new Map<number, number>();

  if (o.aliasAll) {
    const table = next++;
    const dataCluster = next++;
    contents.set(dataCluster, Buffer.alloc(cs, 0xab));
    const entries = new Map<number, bigint>();
    for (let e = 0; e < entriesPerL2; e++) entries.set(e, BigInt(dataCluster * cs) | (1n << 63n));
    l2.set(table, entries);
    for (let i = 0; i < l1Need; i++) l1.set(i, table);
  }
  for (const [guest, bytes] of o.data ?? []) {
    const i = Math.floor(guest / entriesPerL2);
    if (!l1.has(i)) {
      l1.set(i, next);
      l2.set(next++, new Map());
    }
    const host = next++;
    contents.set(host, Buffer.concat([bytes, Buffer.alloc(cs - bytes.length)]));
    dataOffsets.set(guest, host * cs);
    l2.get(l1.get(i) as number)?.set(guest % entriesPerL2, BigInt(host * cs) | (1n << 63n));
  }

  const file = Buffer.alloc(next * cs);
  writeHeader(file, { version, bits, size, l1Size, l1Offset: 3 * cs, cs });
  file.writeBigUInt64BE(BigInt(2 * cs), cs); // refcount table entry 0 -> refcount block at cluster 2
  for (let c = 0; c < next; c++) file.writeUInt16BE(1, 2 * cs + c * 2); // 16-bit refcounts (order 4): every cluster used once
  for (const [i, table] of l1) file.writeBigUInt64BE(BigInt(table * cs) | (1n << 63n), 3 * cs + i * 8);
  for (const [table, entries] of l2) for (const [e, v] of entries) file.writeBigUInt64BE(v, table * cs + e * 8);
  for (const [host, bytes] of contents) bytes.copy(file, host * cs);
  return { file, clusterSize: cs, l1TableOffset: 3 * cs, l2Offsets: [...new Set(l1.values())].map((t) => t * cs), dataOffsets };
}

function writeHeader(b: Buffer, h: { version: number; bits: number; size: bigint; l1Size: number; l1Offset: number; cs: number }): void {
  b.writeUInt32BE(0x514649fb, FIELD.magic);
  b.writeUInt32BE(h.version, FIELD.version);
  b.writeUInt32BE(h.bits, FIELD.clusterBits);
  b.writeBigUInt64BE(h.size, FIELD.size);
  b.writeUInt32BE(h.l1Size, FIELD.l1Size);
  b.writeBigUInt64BE(BigInt(h.l1Offset), FIELD.l1TableOffset);
  b.writeBigUInt64BE(BigInt(h.cs), FIELD.refcountTableOffset);
  b.writeUInt32BE(1, FIELD.refcountTableClusters);
  if (h.version === 3) {
    b.writeUInt32BE(4, FIELD.refcountOrder);
    b.writeUInt32BE(112, FIELD.headerLength); // 104 plus compression_type and its padding, as QEMU writes it
  }
}
