import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeWithPeers } from '../testing/peers.ts';
import { openQcow2, Qcow2Error } from './qcow2.ts';
import { craftQcow2, FIELD, type Crafted } from './testing/qcow2-images.ts';

const dir = mkdtempSync(join(tmpdir(), 'df-qcow2-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TiB = 1024 ** 4;
let n = 0;
function save(b: Buffer): string {
  const p = join(dir, `crafted-${n++}.qcow2`);
  writeFileSync(p, b);
  return p;
}

async function readAll(path: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of (await openQcow2(path)).createReadStream()) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** A valid 1 MiB + 512 B v3 image, data in guest clusters 0, 5 and the partial last one. */
const size = 1024 * 1024 + 512;
const clusters: Array<[number, Buffer]> = [
  [0, randomBytes(65536)],
  [5, randomBytes(1000)],
  [16, randomBytes(512)],
];
const expected = Buffer.alloc(size);
for (const [c, b] of clusters) b.copy(expected, c * 65536);
const good = (): Crafted => craftQcow2({ size, data: clusters });
/** The valid image with one change. */
const patched = (edit: (b: Buffer, c: Crafted) => void): string => {
  const c = good();
  edit(c.file, c);
  return save(c.file);
};

describeWithPeers(['qemu-img'], 'crafted images: the builder follows the spec', () => {
  it('a crafted v3 image passes qemu-img check and reads back identically, here and through qemu-img', async () => {
    const p = save(good().file);
    execFileSync('qemu-img', ['check', '-f', 'qcow2', p], { stdio: ['ignore', 'ignore', 'pipe'] });
    const viaQemu = join(dir, 'via-qemu.raw');
    execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', p, viaQemu]);
    expect(readFileSync(viaQemu).equals(expected)).toBe(true);
    const got = await readAll(p);
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(expected).digest('hex'));
    expect((await openQcow2(p)).dataBytes).toBe(65536 * 2 + 512);
  });

  it('a crafted v2 image with 512-byte clusters reads back identically', async () => {
    const small: Array<[number, Buffer]> = [[3, randomBytes(512)]];
    const p = save(craftQcow2({ version: 2, clusterBits: 9, size: 8192, data: small }).file);
    execFileSync('qemu-img', ['check', '-f', 'qcow2', p], { stdio: ['ignore', 'ignore', 'pipe'] });
    const want = Buffer.alloc(8192);
    small[0][1].copy(want, 3 * 512);
    expect((await readAll(p)).equals(want)).toBe(true);
  });
});

describe('openQcow2 refuses a claimed size past the cap before reading any data', () => {
  it('a header claiming 2^60 bytes names the size and the 2 TiB default limit', async () => {
    const p = patched((b) => b.writeBigUInt64BE(1n << 60n, FIELD.size));
    await expect(openQcow2(p)).rejects.toThrow(/virtual size 1152921504606846976 bytes \(1 EiB\) is larger than the limit of 2199023255552 bytes \(2 TiB\)/);
  });
  it('a header claiming 2^64-1 bytes (past what a JS number holds exactly)', async () => {
    const p = patched((b) => b.writeBigUInt64BE((1n << 64n) - 1n, FIELD.size));
    await expect(openQcow2(p)).rejects.toThrow(/virtual size .* is larger than the limit/);
  });
  it('the limit is configurable: a 3 TiB sparse image opens with a 4 TiB cap and is refused with a 1 MiB cap', async () => {
    const p = save(craftQcow2({ size: 3 * TiB, data: [[7, randomBytes(100)]] }).file);
    await expect(openQcow2(p)).rejects.toThrow(/larger than the limit of 2199023255552 bytes/);
    const img = await openQcow2(p, { maxVirtualSize: 4 * TiB });
    expect(img).toMatchObject({ virtualSize: 3 * TiB, dataBytes: 65536 });
    await expect(openQcow2(save(good().file), { maxVirtualSize: 1024 * 1024 })).rejects.toThrow(/virtual size 1049088 bytes .* larger than the limit of 1048576 bytes/);
  });
  it('an image whose every cluster aliases one data cluster opens at once and reports all of it as data', async () => {
    const c = craftQcow2({ size: TiB, aliasAll: true });
    expect(c.file.length).toBeLessThan(1 << 20);
    const t0 = Date.now();
    const img = await openQcow2(save(c.file));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(img.dataBytes).toBe(TiB);
  });
});

describe('openQcow2 refuses inconsistent tables, naming the field', () => {
  const cases: Array<[string, (b: Buffer, c: Crafted) => void, RegExp]> = [
    ['l1_size smaller than the virtual size needs', (b) => b.writeUInt32BE(0, FIELD.l1Size), /l1_size 0 is too small for a 1049088-byte disk \(need 1\)/],
    ['l1_size past QEMU limit (32 MiB of entries)', (b) => b.writeUInt32BE(0xffffffff, FIELD.l1Size), /l1_size 4294967295 is larger than QEMU's limit of 4194304 entries/],
    ['an L1 table past the end of the file', (b) => b.writeBigUInt64BE(1n << 40n, FIELD.l1TableOffset), /L1 table \(8 bytes at 1099511627776\) runs past the end of the file/],
    ['an L1 table not cluster aligned', (b) => b.writeBigUInt64BE(3n * 65536n + 8n, FIELD.l1TableOffset), /l1_table_offset 196616 is not cluster aligned/],
    ['an L1 table at offset 0 (the header)', (b) => b.writeBigUInt64BE(0n, FIELD.l1TableOffset), /l1_table_offset is 0, which is the header/],
    ['an offset past 2^53', (b) => b.writeBigUInt64BE(1n << 60n, FIELD.l1TableOffset), /l1_table_offset 1152921504606846976 is too large/],
    ['cluster_bits below 9', (b) => b.writeUInt32BE(8, FIELD.clusterBits), /cluster_bits 8 is out of range \(9-21\)/],
    ['cluster_bits above 21', (b) => b.writeUInt32BE(22, FIELD.clusterBits), /cluster_bits 22 is out of range/],
    ['cluster_bits 2^32-1', (b) => b.writeUInt32BE(0xffffffff, FIELD.clusterBits), /cluster_bits 4294967295 is out of range/],
    ['refcount_order 7 (128-bit refcounts)', (b) => b.writeUInt32BE(7, FIELD.refcountOrder), /refcount_order 7 is out of range \(0-6\)/],
    ['a refcount table past the end of the file', (b) => b.writeBigUInt64BE(1n << 30n, FIELD.refcountTableOffset), /refcount table \(65536 bytes at 1073741824\) runs past the end/],
    ['a refcount table past QEMU limit', (b) => b.writeUInt32BE(1000, FIELD.refcountTableClusters), /refcount_table_clusters 1000 is larger than QEMU's limit/],
    ['a refcount table not cluster aligned', (b) => b.writeBigUInt64BE(65536n + 512n, FIELD.refcountTableOffset), /refcount_table_offset 66048 is not cluster aligned/],
    ['more snapshots than QEMU allows', (b) => b.writeUInt32BE(70000, FIELD.nbSnapshots), /nb_snapshots 70000 is larger than QEMU's limit/],
    ['a snapshot table past the end of the file', (b) => (b.writeUInt32BE(1, FIELD.nbSnapshots), b.writeBigUInt64BE(1n << 32n, FIELD.snapshotsOffset)), /snapshot table .* runs past the end/],
    ['header_length not a multiple of 8', (b) => b.writeUInt32BE(108, FIELD.headerLength), /header_length 108 is not a multiple of 8/],
    ['header_length past the first cluster', (b) => b.writeUInt32BE(1 << 20, FIELD.headerLength), /header_length 1048576 is not a multiple of 8 within the first cluster/],
    ['header_length shorter than v3 allows', (b) => b.writeUInt32BE(72, FIELD.headerLength), /header_length 72 is shorter than 104/],
    ['a compression type without its feature bit', (b) => (b[FIELD.compressionType] = 1), /compression_type is 1 but the compression type feature bit is not set/],
    ['version 4', (b) => b.writeUInt32BE(4, FIELD.version), /qcow2 version 4 is not supported/],
  ];
  for (const [name, edit, want] of cases) {
    it(name, async () => {
      const err = await openQcow2(patched(edit)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Qcow2Error);
      expect((err as Error).message).toMatch(want);
    });
  }
});

describe('openQcow2 refuses features it cannot honour, in a crafted header', () => {
  const incompat = (bit: number) => (b: Buffer) => b.writeBigUInt64BE(1n << BigInt(bit), FIELD.incompatibleFeatures);
  const cases: Array<[string, (b: Buffer) => void, RegExp]> = [
    ['a backing file (offset set)', (b) => b.writeBigUInt64BE(65536n, FIELD.backingFileOffset), /has a backing file/],
    ['a backing file (size set)', (b) => b.writeUInt32BE(10, FIELD.backingFileSize), /has a backing file/],
    ['AES encryption', (b) => b.writeUInt32BE(1, FIELD.cryptMethod), /encrypted \(crypt_method 1, AES\)/],
    ['LUKS encryption', (b) => b.writeUInt32BE(2, FIELD.cryptMethod), /encrypted \(crypt_method 2, LUKS\)/],
    ['the corrupt bit', incompat(1), /marked corrupt/],
    ['an external data file', incompat(2), /external data file/],
    ['extended L2 entries', incompat(4), /extended L2 entries/],
    ['an unknown incompatible feature', incompat(5), /unknown incompatible features 0x20/],
    ['the highest incompatible feature bit', incompat(63), /unknown incompatible features 0x8000000000000000/],
  ];
  for (const [name, edit, want] of cases) {
    it(name, async () => {
      await expect(openQcow2(patched(edit))).rejects.toThrow(want);
    });
  }
  it('the dirty bit alone is accepted (refcounts are not used for reading)', async () => {
    expect((await readAll(patched(incompat(0)))).equals(expected)).toBe(true);
  });
});

describe('openQcow2 checks every mapping before any data is read', () => {
  it('an L1 entry pointing past the end of the file fails at open', async () => {
    const p = patched((b, c) => b.writeBigUInt64BE((1n << 63n) | (1n << 40n), c.l1TableOffset));
    await expect(openQcow2(p)).rejects.toThrow(/L1 entry 0 points to an L2 table at 1099511627776, past the end of the file/);
  });
  it('an L2 entry pointing past the end of the file fails at open', async () => {
    const p = patched((b, c) => b.writeBigUInt64BE((1n << 63n) | (1n << 40n), c.l2Offsets[0] + 5 * 8));
    await expect(openQcow2(p)).rejects.toThrow(/guest cluster 5 points to host offset 1099511627776, past the end of the file/);
  });
  it('an L2 entry not cluster aligned fails at open', async () => {
    const p = patched((b, c) => b.writeBigUInt64BE((1n << 63n) | BigInt((c.dataOffsets.get(5) as number) + 512), c.l2Offsets[0] + 5 * 8));
    await expect(openQcow2(p)).rejects.toThrow(/guest cluster 5 points to host offset \d+, which is not cluster aligned/);
  });
  it('a compressed cluster past the end of the file fails at open', async () => {
    // Compressed descriptor (cluster_bits 16): x = 62 - 8 = 54 offset bits, sector count above.
    const p = patched((b, c) => b.writeBigUInt64BE((1n << 62n) | (1n << 40n), c.l2Offsets[0]));
    await expect(openQcow2(p)).rejects.toThrow(/compressed guest cluster 0 points to host offset 1099511627776, past the end/);
  });
});
