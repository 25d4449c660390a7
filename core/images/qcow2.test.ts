import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPeers } from '../testing/peers.ts';
import { openQcow2, Qcow2Error } from './qcow2.ts';

const dir = mkdtempSync(join(tmpdir(), 'df-qcow2-'));
const rawPath = join(dir, 'disk.raw');
let rawSha = '';

/**
 * 3 MiB + 1.5 KiB (so the last 64 KiB cluster is partial): random data at odd offsets,
 * compressible text, long zero regions and a lone non-zero byte in a zero region.
 */
function makeRaw(): Buffer {
  const raw = Buffer.alloc(3 * 1024 * 1024 + 1536);
  randomBytes(200_000).copy(raw, 4096);
  randomBytes(70_000).copy(raw, 1_000_003);
  Buffer.from('dragonfly '.repeat(30_000)).copy(raw, 1_500_000);
  raw[2_500_001] = 0x5a;
  randomBytes(1000).copy(raw, raw.length - 1000);
  return raw;
}

function qemuImg(...args: string[]): void {
  execFileSync('qemu-img', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function sha256Of(path: string): Promise<string> {
  const img = await openQcow2(path);
  const h = createHash('sha256');
  for await (const chunk of img.createReadStream()) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function drain(path: string): Promise<number> {
  const img = await openQcow2(path);
  let n = 0;
  for await (const chunk of img.createReadStream()) n += (chunk as Buffer).length;
  return n;
}

beforeAll(() => {
  const raw = makeRaw();
  writeFileSync(rawPath, raw);
  rawSha = createHash('sha256').update(raw).digest('hex');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeWithPeers(['qemu-img', 'qemu-io'], 'openQcow2 reads what qemu-img wrote', () => {
  const cases = [
    { compat: '0.10', cluster: '65536', compress: false },
    { compat: '0.10', cluster: '65536', compress: true },
    { compat: '0.10', cluster: '512', compress: true },
    { compat: '1.1', cluster: '65536', compress: false },
    { compat: '1.1', cluster: '65536', compress: true },
    { compat: '1.1', cluster: '512', compress: false },
    { compat: '1.1', cluster: '512', compress: true },
  ];
  for (const c of cases) {
    it(`v${c.compat === '0.10' ? 2 : 3}, ${c.cluster}-byte clusters${c.compress ? ', compressed' : ''}: raw sha256 equals the original`, async () => {
      const out = join(dir, `img-${c.compat}-${c.cluster}-${c.compress}.qcow2`);
      qemuImg('convert', '-f', 'raw', '-O', 'qcow2', ...(c.compress ? ['-c'] : []), '-o', `compat=${c.compat},cluster_size=${c.cluster}`, rawPath, out);
      const img = await openQcow2(out);
      expect(img.version).toBe(c.compat === '0.10' ? 2 : 3);
      expect(img.clusterSize).toBe(Number(c.cluster));
      expect(img.virtualSize).toBe(readFileSync(rawPath).length);
      expect(img.dataBytes).toBeGreaterThanOrEqual(200_000 + 70_000 + 300_000); // at least the non-zero runs
      expect(img.dataBytes).toBeLessThanOrEqual(img.virtualSize);
      expect(await sha256Of(out)).toBe(rawSha);
    });
  }

  it('an empty image (every cluster unallocated) reads as zeros of the virtual size', async () => {
    const out = join(dir, 'empty.qcow2');
    qemuImg('create', '-f', 'qcow2', out, '5M');
    expect((await openQcow2(out)).dataBytes).toBe(0);
    expect(await sha256Of(out)).toBe(createHash('sha256').update(Buffer.alloc(5 * 1024 * 1024)).digest('hex'));
  });

  it('zero clusters written by qemu-img (v3 zero flag) read as zeros', async () => {
    const out = join(dir, 'zeroflag.qcow2');
    qemuImg('convert', '-f', 'raw', '-O', 'qcow2', rawPath, out);
    const zeroed = Buffer.from(readFileSync(rawPath));
    zeroed.fill(0, 0, 1_048_576);
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -z 0 1M', out], { stdio: 'ignore' });
    expect(await sha256Of(out)).toBe(createHash('sha256').update(zeroed).digest('hex'));
  });
});

describeWithPeers(['qemu-img'], 'openQcow2 refuses what it cannot read, naming the feature', () => {
  const made = (name: string, ...args: string[]) => {
    const p = join(dir, name);
    qemuImg('create', '-f', 'qcow2', ...args, p, '1M');
    return p;
  };

  it('a backing file', async () => {
    const base = made('base.qcow2');
    const p = join(dir, 'overlay.qcow2');
    qemuImg('create', '-f', 'qcow2', '-b', base, '-F', 'qcow2', p);
    await expect(openQcow2(p)).rejects.toThrow(/backing file/);
  });
  it('extended L2 entries', async () => {
    await expect(openQcow2(made('ext.qcow2', '-o', 'extended_l2=on'))).rejects.toThrow(/extended L2/);
  });
  it('an external data file', async () => {
    await expect(openQcow2(made('ext-data.qcow2', '-o', `data_file=${join(dir, 'data.bin')}`))).rejects.toThrow(/external data file/);
  });
  it('zstd compression', async () => {
    await expect(openQcow2(made('zstd.qcow2', '-o', 'compression_type=zstd'))).rejects.toThrow(/zstd compression; only deflate/);
  });
  it('encryption (crypt_method set)', async () => {
    const p = made('crypt.qcow2');
    const b = readFileSync(p);
    b.writeUInt32BE(2, 32);
    writeFileSync(p, b);
    await expect(openQcow2(p)).rejects.toThrow(/encrypted/);
  });
  it('a file that is not qcow2', async () => {
    await expect(openQcow2(rawPath)).rejects.toThrow(/not a qcow2 image: magic/);
  });
});

describeWithPeers(['qemu-img'], 'openQcow2 on malformed files: errors, never crashes', () => {
  let good: Buffer;
  beforeAll(() => {
    const p = join(dir, 'small.qcow2');
    qemuImg('convert', '-f', 'raw', '-O', 'qcow2', '-c', '-o', 'cluster_size=512', rawPath, p);
    good = readFileSync(p);
  });
  const write = (name: string, b: Buffer) => {
    const p = join(dir, name);
    writeFileSync(p, b);
    return p;
  };

  it('a truncated header', async () => {
    await expect(openQcow2(write('trunc-header.qcow2', good.subarray(0, 44)))).rejects.toThrow(/header truncated at l1_table_offset/);
  });
  it('an L1 table past the end of the file', async () => {
    const b = Buffer.from(good);
    b.writeBigUInt64BE(BigInt(good.length + 4096) & ~511n, 40);
    await expect(openQcow2(write('l1-past.qcow2', b))).rejects.toThrow(/L1 table .* runs past the end/);
  });
  it('an L2 offset past the end of the file', async () => {
    const b = Buffer.from(good);
    const l1 = Number(b.readBigUInt64BE(40));
    b.writeBigUInt64BE((1n << 63n) | BigInt(Math.ceil((good.length + 1_000_000) / 512) * 512), l1);
    await expect(drain(write('l2-past.qcow2', b))).rejects.toThrow(/L2 table at \d+, past the end of the file/);
  });
  it('a file cut short in the middle of the data', async () => {
    await expect(drain(write('cut.qcow2', good.subarray(0, Math.floor(good.length / 2))))).rejects.toThrow(Qcow2Error);
  });
  it('random corruption of the tables and data: the stream ends or fails with a Qcow2Error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: good.length - 1 - 112 }), fc.nat({ max: 255 })), { minLength: 1, maxLength: 8 }), async (edits) => {
        const b = Buffer.from(good);
        for (const [at, v] of edits) b[112 + at] = v;
        const p = write('fuzz.qcow2', b);
        try {
          expect(await drain(p)).toBe(readFileSync(rawPath).length);
        } catch (err) {
          expect(err).toBeInstanceOf(Qcow2Error);
        }
      }),
      { numRuns: 25 },
    );
  });
});
