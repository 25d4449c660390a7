/**
 * Tar headers as pure functions (POSIX.1-2001 ustar/pax, plus the GNU extensions GNU tar
 * writes with `-S`): 512-byte blocks in, typed values out. Streaming lives in archive.ts.
 */

export const BLOCK = 512;

export class TarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarError';
  }
}

/** A run of real data in a sparse file: `numBytes` bytes at `offset`; everything else reads as zeros. */
export interface SparseSegment {
  offset: number;
  numBytes: number;
}

export interface TarHeader {
  name: string;
  /** ustar typeflag: '0' file, '5' directory, 'x' pax, 'L' GNU long name, 'S' GNU old sparse, ... */
  type: string;
  /** Bytes stored in the archive after this header (before padding to 512). */
  size: number;
  /** Old GNU sparse ('S'): the map from the header, the full file size, and whether extension blocks follow. */
  gnuSparse?: { segments: SparseSegment[]; realSize: number; extended: boolean };
}

/**
 * A numeric field: octal ASCII ended by NUL or space, or GNU's base-256 form (high bit of the
 * first byte set) for values past 8 GiB.
 */
export function tarNumber(b: Uint8Array, field: string): number {
  if (b.length && b[0] & 0x80) {
    let v = b[0] & 0x3f; // a negative number (0xff prefix) cannot be a size or offset
    if (b[0] & 0x40) throw new TarError(`tar ${field} is negative`);
    for (let i = 1; i < b.length; i++) v = v * 256 + b[i];
    if (!Number.isSafeInteger(v)) throw new TarError(`tar ${field} is too large`);
    return v;
  }
  const s = Buffer.from(b).toString('latin1').replace(/[\0 ]+$/, '').replace(/^[ \0]+/, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarError(`tar ${field} "${s}" is not an octal number`);
  return parseInt(s, 8);
}

function cString(b: Uint8Array): string {
  const end = b.indexOf(0);
  return Buffer.from(end < 0 ? b : b.subarray(0, end)).toString('utf8');
}

/** The header checksum (ustar: sum of all bytes with the checksum field read as spaces). */
function checksumOk(block: Uint8Array): boolean {
  let want: number;
  try {
    want = tarNumber(block.subarray(148, 156), 'chksum');
  } catch {
    return false;
  }
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
  return sum === want;
}

export function isZeroBlock(block: Uint8Array): boolean {
  return block.every((x) => x === 0);
}

/** Decodes one header block (not a zero block). */
export function decodeTarHeader(block: Uint8Array): TarHeader {
  if (block.length !== BLOCK) throw new TarError(`tar header is ${block.length} bytes, want ${BLOCK}`);
  if (!checksumOk(block)) throw new TarError('tar header checksum does not match (not a tar archive, or corrupt)');
  const magic = Buffer.from(block.subarray(257, 263)).toString('latin1');
  const gnu = magic === 'ustar ';
  let name = cString(block.subarray(0, 100));
  const prefix = !gnu && magic.startsWith('ustar') ? cString(block.subarray(345, 500)) : '';
  if (prefix) name = `${prefix}/${name}`;
  const type = String.fromCharCode(block[156] || 0x30);
  const size = tarNumber(block.subarray(124, 136), 'size');
  const h: TarHeader = { name, type, size };
  if (type === 'S') {
    h.gnuSparse = {
      segments: sparseEntries(block, 386, 4, 'sparse'),
      extended: block[482] !== 0,
      realSize: tarNumber(block.subarray(483, 495), 'realsize'),
    };
  }
  return h;
}

/** `count` (offset, numbytes) pairs of 12-byte numbers from `at`; an all-NUL pair ends the list. */
function sparseEntries(block: Uint8Array, at: number, count: number, field: string): SparseSegment[] {
  const out: SparseSegment[] = [];
  for (let i = 0; i < count; i++) {
    const p = at + i * 24;
    if (block[p] === 0) break;
    out.push({ offset: tarNumber(block.subarray(p, p + 12), `${field}[${i}].offset`), numBytes: tarNumber(block.subarray(p + 12, p + 24), `${field}[${i}].numbytes`) });
  }
  return out;
}

/** An old GNU sparse extension block: 21 more pairs and an "another block follows" byte. */
export function decodeGnuSparseExtension(block: Uint8Array): { segments: SparseSegment[]; extended: boolean } {
  return { segments: sparseEntries(block, 0, 21, 'sparse extension'), extended: block[504] !== 0 };
}

/**
 * pax extended header records, "LEN KEY=VALUE\n" (POSIX.1-2001 pax, "extended header"), in
 * order: GNU sparse 0.0 repeats GNU.sparse.offset/numbytes keys, so a map would lose them.
 */
export function parsePaxRecords(data: Uint8Array): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let at = 0;
  while (at < data.length) {
    if (data[at] === 0) break;
    const space = data.indexOf(0x20, at);
    const len = space < 0 ? NaN : Number(Buffer.from(data.subarray(at, space)).toString('latin1'));
    if (!Number.isInteger(len) || len <= space - at + 1 || at + len > data.length) throw new TarError(`pax record at byte ${at} has a bad length`);
    const rec = Buffer.from(data.subarray(space + 1, at + len - 1)).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq < 0) throw new TarError(`pax record at byte ${at} has no "="`);
    out.push([rec.slice(0, eq), rec.slice(eq + 1)]);
    at += len;
  }
  return out;
}

/** The GNU sparse description a pax header carries (formats 0.0, 0.1 and 1.0 of GNU tar's manual, "Sparse Formats"). */
export interface PaxSparse {
  name?: string;
  realSize?: number;
  /** 0.0 / 0.1: the map is in the header. 1.0: it starts the member's data. */
  segments?: SparseSegment[];
  mapInData: boolean;
}

function int(v: string, key: string): number {
  if (!/^\d+$/.test(v)) throw new TarError(`pax ${key}="${v}" is not a number`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new TarError(`pax ${key} is too large`);
  return n;
}

export function paxSparse(records: Array<[string, string]>): PaxSparse | undefined {
  const r: PaxSparse = { mapInData: false };
  let sparse = false;
  const offsets: number[] = [];
  const sizes: number[] = [];
  for (const [k, v] of records) {
    if (!k.startsWith('GNU.sparse.')) continue;
    sparse = true;
    if (k === 'GNU.sparse.name') r.name = v;
    else if (k === 'GNU.sparse.realsize' || k === 'GNU.sparse.size') r.realSize = int(v, k);
    else if (k === 'GNU.sparse.major') r.mapInData = v === '1';
    else if (k === 'GNU.sparse.offset') offsets.push(int(v, k));
    else if (k === 'GNU.sparse.numbytes') sizes.push(int(v, k));
    else if (k === 'GNU.sparse.map') {
      const nums = v === '' ? [] : v.split(',').map((x) => int(x, k));
      for (let i = 0; i + 1 < nums.length; i += 2) {
        offsets.push(nums[i]);
        sizes.push(nums[i + 1]);
      }
    }
  }
  if (!sparse) return undefined;
  if (offsets.length !== sizes.length) throw new TarError('pax sparse map has unpaired offset/numbytes');
  if (!r.mapInData) r.segments = offsets.map((offset, i) => ({ offset, numBytes: sizes[i] }));
  return r;
}

/** Checks a sparse map is ordered, non-overlapping and inside the file. */
export function checkSparseMap(segments: SparseSegment[], realSize: number): void {
  let end = 0;
  for (const [i, s] of segments.entries()) {
    if (s.offset < end) throw new TarError(`sparse map entry ${i} (offset ${s.offset}) overlaps or is out of order`);
    end = s.offset + s.numBytes;
    if (end > realSize) throw new TarError(`sparse map entry ${i} ends at ${end}, past the file size ${realSize}`);
  }
}

/**
 * Most segments a sparse map may hold. A real disk has a few thousand runs; a forged map with
 * billions would only cost memory and time before the data is reached.
 */
export const MAX_SPARSE_SEGMENTS = 1 << 20;

/** Longest decimal number a sparse 1.0 map line may hold (2^64 has 20 digits). */
const MAX_MAP_LINE = 20;

/**
 * The sparse 1.0 map at the start of the data: decimal numbers, one per line — the count,
 * then offset and size pairs — padded to a whole block. Fed the data as it arrives; each byte
 * is looked at once, so a long map costs linear time.
 */
export class SparseMap10Parser {
  private readonly nums: number[] = [];
  private count = -1;
  private line = '';
  private consumed = 0;

  /** Feeds more of the member's data; returns the map and its padded length once it is whole. */
  push(data: Uint8Array): { segments: SparseSegment[]; bytes: number } | undefined {
    for (let i = 0; i < data.length; i++) {
      this.consumed++;
      if (data[i] !== 0x0a) {
        if (this.line.length >= MAX_MAP_LINE) throw new TarError('sparse 1.0 map has a line longer than a number');
        this.line += String.fromCharCode(data[i]);
        continue;
      }
      this.number(int(this.line, 'sparse 1.0 map'));
      this.line = '';
      if (this.count >= 0 && this.nums.length === this.count * 2) return this.done();
    }
    return undefined;
  }

  private number(n: number): void {
    if (this.count >= 0) return void this.nums.push(n);
    if (n > MAX_SPARSE_SEGMENTS) throw new TarError(`sparse 1.0 map claims ${n} segments, more than the ${MAX_SPARSE_SEGMENTS} this reader accepts`);
    this.count = n;
  }

  private done(): { segments: SparseSegment[]; bytes: number } {
    const segments: SparseSegment[] = [];
    for (let i = 0; i < this.nums.length; i += 2) segments.push({ offset: this.nums[i], numBytes: this.nums[i + 1] });
    return { segments, bytes: Math.ceil(this.consumed / BLOCK) * BLOCK };
  }
}

/** The whole sparse 1.0 map in `data`, or undefined when `data` does not hold all of it yet. */
export function parseSparseMap10(data: Uint8Array): { segments: SparseSegment[]; bytes: number } | undefined {
  return new SparseMap10Parser().push(data);
}

/** A member name as it may appear in a message: printable ASCII as is, anything else quoted and escaped, long names cut. */
export function shownName(name: string): string {
  const cut = name.length > 200 ? `${name.slice(0, 200)}…` : name;
  return /^[\x21-\x7e][\x20-\x7e]*$/.test(cut) ? cut : JSON.stringify(cut);
}
