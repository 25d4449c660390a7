/**
 * A FAT16 volume (no partition table: a "superfloppy") laid out from a list of files, as the
 * segments of its bytes in order, so large files are streamed from disk rather than copied into
 * memory. UEFI HTTP boot loads such an image into a RAM disk and boots \EFI\BOOT\BOOTX64.EFI
 * from it (UEFI 2.10 section 24.7.3, content type application/vnd.efi-img); layout after
 * Microsoft's FAT specification (FAT: General Overview of On-Disk Format, 1.03).
 * Pure: no file system access, no clock (the dates are fixed, so one input gives one image).
 */

/** A file's bytes: in memory, or a file on disk read when the image is sent. */
export type FatSource = Uint8Array | { path: string; size: number };

export interface FatFile {
  /** 8.3 names in lower case, separated by "/": e.g. efi/boot/bootx64.efi. */
  path: string;
  source: FatSource;
}

export interface FatImage {
  size: number;
  /** The image's bytes in order; a disk file is followed by a buffer that pads its last cluster. */
  segments: FatSource[];
}

const SECTOR = 512;
const ROOT_ENTRIES = 512;
const ROOT_SECTORS = (ROOT_ENTRIES * 32) / SECTOR;
/** FAT16 is decided by the cluster count alone (the FAT specification, section 3.5). */
const MIN_FAT16_CLUSTERS = 4085 + 11;
const MAX_FAT16_CLUSTERS = 65524;
const EOC = 0xffff;
const ATTR_DIR = 0x10;
const ATTR_ARCHIVE = 0x20;
const ATTR_LABEL = 0x08;
/** NT reserved-byte flags: base name and extension are lower case (what mtools writes and GRUB and UEFI read). */
const LOWER_CASE = 0x18;
const FIXED_DATE = ((2026 - 1980) << 9) | (1 << 5) | 1;

interface Node {
  name: string;
  dir: boolean;
  source?: FatSource;
  children: Node[];
  cluster: number;
  clusters: number;
}

export function fatImage(files: FatFile[], label = 'DRAGONFLY'): FatImage {
  const root = treeOf(files);
  const spc = sectorsPerCluster(root);
  const clusterBytes = spc * SECTOR;
  const order = allocate(root, clusterBytes);
  const used = order.reduce((n, f) => n + f.clusters, 0);
  const clusters = Math.max(used, MIN_FAT16_CLUSTERS);
  const fatSectors = Math.ceil(((clusters + 2) * 2) / SECTOR);
  const dataStart = 1 + 2 * fatSectors + ROOT_SECTORS;
  const totalSectors = dataStart + clusters * spc;
  const dirs = order.filter((n) => n.dir);
  const meta = new Uint8Array((dataStart + dirs.reduce((n, d) => n + d.clusters, 0) * spc) * SECTOR);
  const view = new DataView(meta.buffer);
  writeBootSector(view, { spc, fatSectors, totalSectors, label });
  writeFats(view, order, fatSectors);
  writeDirectory(view, (1 + 2 * fatSectors) * SECTOR, root, undefined, label);
  for (const d of dirs) writeDirectory(view, (dataStart + (d.cluster - 2) * spc) * SECTOR, d, parentOf(root, d));
  const segments: FatSource[] = [meta];
  for (const f of order.filter((n) => !n.dir)) {
    const size = sizeOf(f.source!);
    if (size > 0) segments.push(f.source!, new Uint8Array(f.clusters * clusterBytes - size));
  }
  const tail = (clusters - used) * clusterBytes;
  if (tail > 0) segments.push(new Uint8Array(tail));
  return { size: totalSectors * SECTOR, segments };
}

export function sizeOf(s: FatSource): number {
  return s instanceof Uint8Array ? s.length : s.size;
}

function treeOf(files: FatFile[]): Node {
  const root: Node = { name: '', dir: true, children: [], cluster: 0, clusters: 0 };
  for (const f of files) {
    const parts = f.path.split('/');
    let at = root;
    for (const [i, part] of parts.entries()) {
      shortName(part); // throws on a name that is not 8.3
      const last = i === parts.length - 1;
      let next = at.children.find((c) => c.name === part);
      if (next && (last || !next.dir)) throw new Error(`fat image: ${f.path} is given twice or under a file`);
      if (!next) {
        next = { name: part, dir: !last, children: [], cluster: 0, clusters: 0, ...(last ? { source: f.source } : {}) };
        at.children.push(next);
      }
      at = next;
    }
  }
  if (root.children.length > ROOT_ENTRIES - 1) throw new Error('fat image: too many entries in the root directory');
  return root;
}

/** The smallest cluster that keeps the count within FAT16's limit. */
function sectorsPerCluster(root: Node): number {
  for (let spc = 1; spc <= 64; spc *= 2) {
    const bytes = spc * SECTOR;
    const needed = walk(root).reduce((n, f) => n + clustersOf(f, bytes), 0);
    if (needed <= MAX_FAT16_CLUSTERS) return spc;
  }
  throw new Error('fat image: too large for FAT16 (2 GiB)');
}

function clustersOf(n: Node, clusterBytes: number): number {
  if (n.dir) return Math.ceil(((n.children.length + 2) * 32) / clusterBytes);
  return Math.ceil(sizeOf(n.source!) / clusterBytes);
}

/** Directories first (they go in the in-memory head), then files, in the order given. */
function allocate(root: Node, clusterBytes: number): Node[] {
  const all = walk(root);
  const order = [...all.filter((n) => n.dir), ...all.filter((n) => !n.dir)];
  let next = 2;
  for (const n of order) {
    n.clusters = clustersOf(n, clusterBytes);
    n.cluster = n.clusters > 0 ? next : 0;
    next += n.clusters;
  }
  return order;
}

/** Every node below `root`, depth first. */
function walk(root: Node): Node[] {
  return root.children.flatMap((c) => [c, ...(c.dir ? walk(c) : [])]);
}

function parentOf(root: Node, child: Node): Node | undefined {
  if (root.children.includes(child)) return undefined;
  return walk(root).find((n) => n.dir && n.children.includes(child));
}

function writeBootSector(v: DataView, g: { spc: number; fatSectors: number; totalSectors: number; label: string }): void {
  const bytes = new Uint8Array(v.buffer);
  bytes.set([0xeb, 0x3c, 0x90], 0);
  ascii(bytes, 3, 'DRAGONFL', 8);
  v.setUint16(11, SECTOR, true);
  v.setUint8(13, g.spc);
  v.setUint16(14, 1, true); // reserved sectors: the boot sector
  v.setUint8(16, 2); // FATs
  v.setUint16(17, ROOT_ENTRIES, true);
  v.setUint16(19, g.totalSectors < 0x10000 ? g.totalSectors : 0, true);
  v.setUint8(21, 0xf8); // fixed disk
  v.setUint16(22, g.fatSectors, true);
  v.setUint16(24, 32, true); // sectors per track and heads: unused by UEFI, plausible values
  v.setUint16(26, 64, true);
  v.setUint32(32, g.totalSectors < 0x10000 ? 0 : g.totalSectors, true);
  v.setUint8(36, 0x80);
  v.setUint8(38, 0x29); // extended boot signature: serial, label and type follow
  v.setUint32(39, 0x44464c59, true);
  ascii(bytes, 43, g.label.toUpperCase(), 11);
  ascii(bytes, 54, 'FAT16', 8);
  bytes.set([0x55, 0xaa], 510);
}

function writeFats(v: DataView, order: Node[], fatSectors: number): void {
  for (const start of [SECTOR, SECTOR + fatSectors * SECTOR]) {
    v.setUint16(start, 0xfff8, true);
    v.setUint16(start + 2, EOC, true);
    for (const n of order) {
      for (let i = 0; i < n.clusters; i++) {
        const c = n.cluster + i;
        v.setUint16(start + c * 2, i === n.clusters - 1 ? EOC : c + 1, true);
      }
    }
  }
}

function writeDirectory(v: DataView, at: number, dir: Node, parent: Node | undefined, label?: string): void {
  let off = at;
  const put = (name: Uint8Array, attr: number, cluster: number, size: number, lower: boolean) => {
    writeEntry(v, off, { name, attr, cluster, size, lower });
    off += 32;
  };
  if (label !== undefined) put(padded(label.toUpperCase(), 11), ATTR_LABEL, 0, 0, false);
  else {
    put(padded('.', 11), ATTR_DIR, dir.cluster, 0, false);
    put(padded('..', 11), ATTR_DIR, parent?.cluster ?? 0, 0, false);
  }
  for (const c of dir.children) put(shortName(c.name), c.dir ? ATTR_DIR : ATTR_ARCHIVE, c.cluster, c.dir ? 0 : sizeOf(c.source!), true);
}

function writeEntry(v: DataView, off: number, e: { name: Uint8Array; attr: number; cluster: number; size: number; lower: boolean }): void {
  new Uint8Array(v.buffer).set(e.name, off);
  v.setUint8(off + 11, e.attr);
  v.setUint8(off + 12, e.lower ? LOWER_CASE : 0);
  for (const date of [16, 18, 24]) v.setUint16(off + date, FIXED_DATE, true);
  v.setUint16(off + 26, e.cluster, true);
  v.setUint32(off + 28, e.size, true);
}

/** "bootx64.efi" -> "BOOTX64 EFI"; anything that is not a lower-case 8.3 name is refused. */
function shortName(name: string): Uint8Array {
  const m = /^([a-z0-9_-]{1,8})(?:\.([a-z0-9_-]{1,3}))?$/.exec(name);
  if (!m) throw new Error(`fat image: "${name}" is not a lower-case 8.3 name`);
  const out = new Uint8Array(11).fill(0x20);
  ascii(out, 0, m[1]!.toUpperCase(), 8);
  ascii(out, 8, (m[2] ?? '').toUpperCase(), 3);
  return out;
}

function padded(text: string, length: number): Uint8Array {
  const out = new Uint8Array(length).fill(0x20);
  ascii(out, 0, text, length);
  return out;
}

function ascii(into: Uint8Array, at: number, text: string, length: number): void {
  for (let i = 0; i < length; i++) into[at + i] = i < text.length ? text.charCodeAt(i) : 0x20;
}

/** The image's bytes as a stream: buffers as they are, disk files read in order. */
export async function* fatImageBytes(image: FatImage, read: (path: string) => AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const s of image.segments) {
    if (s instanceof Uint8Array) {
      if (s.length > 0) yield s;
    } else {
      let sent = 0;
      for await (const chunk of read(s.path)) {
        sent += chunk.length;
        yield chunk;
      }
      // A file that changed size since the layout would shift every later byte: stop, do not send a corrupt disk.
      if (sent !== s.size) throw new Error(`fat image: ${s.path} is ${sent} bytes, laid out as ${s.size}`);
    }
  }
}
