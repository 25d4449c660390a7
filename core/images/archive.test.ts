import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPeers } from '../testing/peers.ts';
import { rawDiskFromTar, TarError, type TarCompression } from './archive.ts';
import { parsePaxRecords, parseSparseMap10, tarNumber } from './tar.ts';

const dir = mkdtempSync(join(tmpdir(), 'df-tar-'));
const src = join(dir, 'src');
const SIZE = 4 * 1024 * 1024;
let rawSha = '';

/** A sparse 4 MiB disk.raw: 30 data runs (more than fit in GNU's header and first extension block) between holes. */
function makeSparseDisk(): void {
  mkdirSync(src);
  const fd = openSync(join(src, 'disk.raw'), 'w');
  const whole = Buffer.alloc(SIZE);
  for (let i = 0; i < 30; i++) {
    const at = i * 131072 + (i % 3) * 4096;
    const data = randomBytes(4096 * (1 + (i % 2)));
    writeSync(fd, data, 0, data.length, at);
    data.copy(whole, at);
  }
  writeSync(fd, Buffer.alloc(1), 0, 1, SIZE - 1); // sets the size; the tail stays a hole but for one block
  closeSync(fd);
  writeFileSync(join(src, 'README'), 'not the disk\n');
  rawSha = createHash('sha256').update(whole).digest('hex');
}

function tarOf(name: string, args: string[], compress?: 'xz' | 'gzip'): string {
  const out = join(dir, name);
  execFileSync('tar', [...args, '-S', '-cf', out, '-C', src, 'README', 'disk.raw']);
  if (!compress) return out;
  execFileSync(compress, ['-f', out]);
  return `${out}.${compress === 'xz' ? 'xz' : 'gz'}`;
}

async function extractSha(path: string, compression: TarCompression): Promise<{ sha: string; size: number; name: string }> {
  const disk = await rawDiskFromTar(createReadStream(path), compression);
  const h = createHash('sha256');
  let n = 0;
  for await (const c of disk.data) {
    h.update(c);
    n += c.length;
  }
  expect(n).toBe(disk.size);
  return { sha: h.digest('hex'), size: disk.size, name: disk.name };
}

beforeAll(makeSparseDisk);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeWithPeers(['tar', 'xz', 'gzip'], 'rawDiskFromTar on archives made by GNU tar -S', () => {
  const cases: Array<{ label: string; args: string[]; compress?: 'xz' | 'gzip'; compression: TarCompression }> = [
    { label: 'gnu format (old GNU sparse, extension blocks)', args: ['--format=gnu'], compression: 'none' },
    { label: 'gnu format, xz', args: ['--format=gnu'], compress: 'xz', compression: 'xz' },
    { label: 'posix format (pax sparse 1.0), xz', args: ['--format=posix'], compress: 'xz', compression: 'xz' },
    { label: 'posix format, gzip', args: ['--format=posix'], compress: 'gzip', compression: 'gz' },
    { label: 'posix, sparse version 0.0', args: ['--format=posix', '--sparse-version=0.0'], compression: 'none' },
    { label: 'posix, sparse version 0.1', args: ['--format=posix', '--sparse-version=0.1'], compression: 'none' },
  ];
  cases.forEach((c, i) => {
    it(`${c.label}: the extracted disk's sha256 equals the original`, async () => {
      const got = await extractSha(tarOf(`a${i}.tar`, c.args, c.compress), c.compression);
      expect(got).toEqual({ sha: rawSha, size: SIZE, name: 'disk.raw' });
    });
  });

  it('a plain (non-sparse) ustar archive', async () => {
    const out = join(dir, 'plain.tar');
    execFileSync('tar', ['--format=ustar', '-cf', out, '-C', src, 'disk.raw']);
    expect((await extractSha(out, 'none')).sha).toBe(rawSha);
  });
});

describeWithPeers(['tar', 'xz'], 'rawDiskFromTar refuses bad archives with a TarError', () => {
  it('an archive without a disk names what it found', async () => {
    const out = join(dir, 'nodisk.tar');
    execFileSync('tar', ['-cf', out, '-C', src, 'README']);
    await expect(rawDiskFromTar(createReadStream(out), 'none')).rejects.toThrow(/no disk image .* found README/);
  });
  it('an archive cut inside the disk data', async () => {
    const whole = readFileSync(tarOf('cut.tar', ['--format=posix']));
    const cut = join(dir, 'cut-short.tar');
    writeFileSync(cut, whole.subarray(0, 40_000));
    await expect(extractSha(cut, 'none')).rejects.toThrow(/archive ends inside the data of disk.raw/);
  });
  it('a file that is not a tar archive', async () => {
    const p = join(dir, 'junk.tar');
    writeFileSync(p, randomBytes(2048));
    await expect(rawDiskFromTar(createReadStream(p), 'none')).rejects.toThrow(/checksum does not match/);
  });
  it('a corrupt xz stream', async () => {
    const xz = readFileSync(tarOf('bad.tar', ['--format=gnu'], 'xz'));
    xz.fill(0x55, 200, 400);
    const p = join(dir, 'bad-xz.tar.xz');
    writeFileSync(p, xz);
    await expect(extractSha(p, 'xz')).rejects.toThrow(TarError);
  });
  it('any header block: decodes or fails with a TarError, never another error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 512, maxLength: 1536 }), async (bytes) => {
        const go = async () => {
          const d = await rawDiskFromTar(Readable.from([Buffer.from(bytes)]), 'none', () => true);
          for await (const _ of d.data);
        };
        await go().catch((err) => expect(err).toBeInstanceOf(TarError));
      }),
      { numRuns: 200 },
    );
  });
});

describe('tar field codecs', () => {
  it('reads GNU base-256 numbers for sizes past 8 GiB', () => {
    const b = new Uint8Array(12);
    b[0] = 0x80;
    b[7] = 0x02; // 11 big-endian bytes after the marker: 0x02_0000_0000 = 8 GiB
    expect(tarNumber(b, 'size')).toBe(2 * 2 ** 32);
  });
  it('keeps repeated pax keys in order (sparse 0.0 maps repeat offset/numbytes)', () => {
    const rec = (s: string) => {
      const body = s.length + 2; // the space and the newline
      const digits = String(body + String(body).length).length;
      return `${body + digits} ${s}\n`;
    };
    const text = rec('GNU.sparse.offset=0') + rec('GNU.sparse.numbytes=5') + rec('GNU.sparse.offset=9');
    expect(parsePaxRecords(Buffer.from(text)).map(([k, v]) => `${k}=${v}`)).toEqual(['GNU.sparse.offset=0', 'GNU.sparse.numbytes=5', 'GNU.sparse.offset=9']);
  });
  it('waits for the whole sparse 1.0 map before parsing it', () => {
    expect(parseSparseMap10(Buffer.from('2\n0\n512\n'))).toBeUndefined();
    expect(parseSparseMap10(Buffer.from('2\n0\n512\n4096\n0\n'))).toEqual({ segments: [{ offset: 0, numBytes: 512 }, { offset: 4096, numBytes: 0 }], bytes: 512 });
  });
});
