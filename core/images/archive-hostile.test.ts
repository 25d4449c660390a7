import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { rawDiskFromTar, TarError, type TarLimits } from './archive.ts';
import { BLOCK } from './tar.ts';

/**
 * Tar archives built block by block from the ustar layout (POSIX.1-2001 "ustar Interchange
 * Format") and GNU tar's manual ("Sparse Formats"), with the lies GNU tar would never write.
 */
interface Entry {
  name: string;
  /** The header's size field; a bigint past 8 GiB is written in GNU base-256. */
  size: number | bigint;
  type?: string;
  gnu?: boolean;
  /** Extra header bytes (GNU sparse fields). */
  edit?: (b: Buffer) => void;
  /** Data after the header; padded to a whole block. */
  data?: Buffer;
}

function octal(b: Buffer, at: number, width: number, v: number | bigint): void {
  b.write(`${v.toString(8).padStart(width - 1, '0')}\0`, at, 'latin1');
}

function header(e: Entry): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(e.name, 0, 100, 'utf8');
  octal(b, 100, 8, 0o644);
  octal(b, 108, 8, 0);
  octal(b, 116, 8, 0);
  if (BigInt(e.size) < 8n ** 11n) octal(b, 124, 12, e.size);
  else {
    b[124] = 0x80; // GNU base-256: the marker, then the value big-endian in the other 11 bytes
    for (let i = 135, v = BigInt(e.size); i > 124; i--, v >>= 8n) b[i] = Number(v & 0xffn);
  }
  octal(b, 136, 12, 0);
  b.write(e.type ?? '0', 156, 'latin1');
  b.write(e.gnu ? 'ustar  \0' : 'ustar\x0000', 257, 'latin1');
  e.edit?.(b);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

const pad = (d: Buffer) => Buffer.concat([d, Buffer.alloc((BLOCK - (d.length % BLOCK)) % BLOCK)]);
const archive = (...entries: Entry[]) => Buffer.concat([...entries.flatMap((e) => [header(e), pad(e.data ?? Buffer.alloc(0))]), Buffer.alloc(2 * BLOCK)]);

/** A pax record "LEN key=value\n", LEN counting itself. */
function rec(key: string, value: string): string {
  const body = `${key}=${value}\n`;
  let len = body.length + 2;
  while (`${len} ${body}`.length !== len) len++;
  return `${len} ${body}`;
}
const pax = (...records: string[]): Entry => {
  const data = Buffer.from(records.join(''));
  return { name: 'PaxHeaders/disk.raw', type: 'x', size: data.length, data };
};

async function extract(tar: Buffer, limits?: TarLimits): Promise<Buffer> {
  const disk = await rawDiskFromTar(Readable.from([tar]), 'none', undefined, limits);
  const out: Buffer[] = [];
  for await (const c of disk.data) out.push(c);
  return Buffer.concat(out);
}

/** GNU old sparse ('S') fields: up to 4 (offset, numbytes) pairs at 386, realsize at 483. */
function gnuSparse(segments: Array<[number, number]>, realSize: number | bigint) {
  return (b: Buffer) => {
    segments.forEach(([o, n], i) => (octal(b, 386 + i * 24, 12, o), octal(b, 398 + i * 24, 12, n)));
    if (BigInt(realSize) < 8n ** 11n) octal(b, 483, 12, realSize);
    else {
      b[483] = 0x80;
      for (let i = 494, v = BigInt(realSize); i > 483; i--, v >>= 8n) b[i] = Number(v & 0xffn);
    }
  };
}

describe('the builder writes archives the reader accepts', () => {
  it('a plain member and a GNU sparse member read back as built', async () => {
    const data = Buffer.from('hello disk');
    expect((await extract(archive({ name: 'disk.raw', size: data.length, data }))).equals(data)).toBe(true);
    const sparse = await extract(archive({ name: 'disk.raw', type: 'S', gnu: true, size: 4, data: Buffer.from('abcd'), edit: gnuSparse([[8192, 4]], 10000) }));
    expect(sparse.length).toBe(10000);
    expect(sparse.subarray(8192, 8196).toString()).toBe('abcd');
  });
});

describe('rawDiskFromTar refuses absurd claims before any data is produced', () => {
  it('a member claiming 2^50 bytes (base-256 size) names the size and the 2 TiB default limit', async () => {
    const err = await extract(archive({ name: 'disk.raw', size: 2n ** 50n })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TarError);
    expect((err as Error).message).toMatch(/member disk.raw claims a size of 1125899906842624 bytes \(1 PiB\), larger than the limit of 2199023255552 bytes \(2 TiB\)/);
  });
  it('the limit is configurable', async () => {
    const data = Buffer.alloc(4096, 1);
    const tar = archive({ name: 'disk.raw', size: data.length, data });
    await expect(extract(tar, { maxBytes: 1024 })).rejects.toThrow(/claims a size of 4096 bytes .* larger than the limit of 1024 bytes/);
    expect((await extract(tar, { maxBytes: 4096 })).length).toBe(4096);
  });
  it('a GNU sparse member whose realsize is absurd (all holes, nothing stored)', async () => {
    const tar = archive({ name: 'disk.raw', type: 'S', gnu: true, size: 0, edit: gnuSparse([], 2n ** 52n) });
    await expect(extract(tar)).rejects.toThrow(/claims a size of 4503599627370496 bytes \(4 PiB\)/);
    const past = archive({ name: 'disk.raw', type: 'S', gnu: true, size: 0, edit: gnuSparse([], 2n ** 60n) });
    await expect(extract(past)).rejects.toThrow(/tar realsize is too large/);
  });
  it('a pax size record past the cap', async () => {
    await expect(extract(archive(pax(rec('size', String(2 ** 52))), { name: 'disk.raw', size: 0 }))).rejects.toThrow(/claims a size of 4503599627370496 bytes/);
  });
  it('a pax size record past what a number holds exactly', async () => {
    await expect(extract(archive(pax(rec('size', '99999999999999999999')), { name: 'disk.raw', size: 0 }))).rejects.toThrow(/pax size 99999999999999999999 is too large/);
  });
  it('a pax header claiming a terabyte is refused before it is buffered', async () => {
    await expect(extract(archive({ name: 'PaxHeaders/x', type: 'x', size: 2n ** 40n }))).rejects.toThrow(/pax header of PaxHeaders\/x claims 1099511627776 bytes, more than the 1048576/);
  });
  it('a GNU long name claiming gigabytes', async () => {
    await expect(extract(archive({ name: '././@LongLink', type: 'L', size: 2n ** 33n, gnu: true }))).rejects.toThrow(/long name header .* claims 8589934592 bytes/);
  });
});

describe('rawDiskFromTar refuses sparse maps that do not fit the declared size', () => {
  it('an old GNU sparse segment past realsize', async () => {
    const tar = archive({ name: 'disk.raw', type: 'S', gnu: true, size: 512, data: Buffer.alloc(512, 7), edit: gnuSparse([[8192, 512]], 4096) });
    await expect(extract(tar)).rejects.toThrow(/sparse map entry 0 ends at 8704, past the file size 4096/);
  });
  it('overlapping segments', async () => {
    const tar = archive({ name: 'disk.raw', type: 'S', gnu: true, size: 1024, data: Buffer.alloc(1024, 7), edit: gnuSparse([[0, 512], [256, 512]], 4096) });
    await expect(extract(tar)).rejects.toThrow(/sparse map entry 1 \(offset 256\) overlaps or is out of order/);
  });
  it('a pax 0.1 map past GNU.sparse.size', async () => {
    const tar = archive(pax(rec('GNU.sparse.size', '1000'), rec('GNU.sparse.map', '0,10,2000,10')), { name: 'disk.raw', size: 20, data: Buffer.alloc(20, 1) });
    await expect(extract(tar)).rejects.toThrow(/sparse map entry 1 ends at 2010, past the file size 1000/);
  });
  it('a sparse map that covers more than the archive stores', async () => {
    const tar = archive({ name: 'disk.raw', type: 'S', gnu: true, size: 512, data: Buffer.alloc(512), edit: gnuSparse([[0, 4096]], 8192) });
    await expect(extract(tar)).rejects.toThrow(/sparse map of disk.raw covers 4096 bytes but the archive stores 512/);
  });
  it('a sparse 1.0 map claiming 10^12 segments is refused at once', async () => {
    const map = Buffer.from('1000000000000\n0\n');
    const tar = archive(pax(rec('GNU.sparse.major', '1'), rec('GNU.sparse.minor', '0'), rec('GNU.sparse.name', 'disk.raw'), rec('GNU.sparse.realsize', '4096')), {
      name: 'GNUSparseFile.0/disk.raw',
      size: 512,
      data: map,
    });
    await expect(extract(tar)).rejects.toThrow(/sparse 1.0 map claims 1000000000000 segments, more than the 1048576/);
  });
  it('a sparse 1.0 map of 200000 segments is parsed in linear time', async () => {
    const count = 200_000;
    const lines = [String(count)];
    for (let i = 0; i < count; i++) lines.push(String(i * 4), '0');
    const map = pad(Buffer.from(`${lines.join('\n')}\n`));
    const tar = archive(pax(rec('GNU.sparse.major', '1'), rec('GNU.sparse.minor', '0'), rec('GNU.sparse.name', 'disk.raw'), rec('GNU.sparse.realsize', String(1 << 20))), {
      name: 'GNUSparseFile.0/disk.raw',
      size: map.length,
      data: map,
    });
    const t0 = Date.now();
    const out = await extract(tar);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(out.equals(Buffer.alloc(1 << 20))).toBe(true);
  });
});

describe('member names reach messages only, escaped', () => {
  it('control characters in a name are escaped, and a long member list is cut', async () => {
    const names = ['evil\n\x1b[31mname', ...Array.from({ length: 30 }, (_, i) => `file-${i}`)];
    const err = await extract(archive(...names.map((name) => ({ name, size: 0 })))).catch((e: unknown) => e);
    expect((err as Error).message).toContain('found "evil\\n\\u001b[31mname", file-0,');
    expect((err as Error).message).toMatch(/file-18 and 11 more\)$/);
    expect((err as Error).message).not.toContain('\x1b');
  });
});
