import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPeers } from '../testing/peers.ts';
import { fatImage, fatImageBytes, type FatFile } from './fat-image.ts';

const text = (s: string) => new TextEncoder().encode(s);
const readFrom = (path: string) => createReadStream(path) as AsyncIterable<Uint8Array>;

async function writeImage(files: FatFile[], to: string): Promise<number> {
  const image = fatImage(files);
  await writeFile(to, Readable.from(fatImageBytes(image, readFrom)));
  return image.size;
}

describe('fatImage layout', () => {
  it('refuses names that are not lower-case 8.3 and files given twice', () => {
    expect(() => fatImage([{ path: 'agent/initramfs.img', source: text('x') }])).toThrow(/"initramfs.img" is not a lower-case 8.3 name/);
    expect(() => fatImage([{ path: 'EFI/x', source: text('x') }])).toThrow(/"EFI" is not/);
    expect(() => fatImage([{ path: 'a/b', source: text('1') }, { path: 'a/b', source: text('2') }])).toThrow(/given twice/);
  });

  it('is FAT16 even when small (at least 4085 clusters), and the same input gives the same bytes', () => {
    const files = [{ path: 'grub/grub.cfg', source: text('echo hi\n') }];
    const a = fatImage(files);
    expect(a.size).toBeGreaterThanOrEqual(4096 * 512);
    expect(Buffer.from(a.segments[0] as Uint8Array).toString('latin1', 54, 59)).toBe('FAT16');
    expect(Buffer.compare(a.segments[0] as Uint8Array, fatImage(files).segments[0] as Uint8Array)).toBe(0);
  });

  it('stops instead of sending a shifted image when a disk file changed size', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fat-'));
    await writeFile(join(dir, 'k'), 'four');
    const image = fatImage([{ path: 'k', source: { path: join(dir, 'k'), size: 3 } }]);
    await expect(async () => {
      for await (const _ of fatImageBytes(image, readFrom));
    }).rejects.toThrow(/is 4 bytes, laid out as 3/);
    await rm(dir, { recursive: true });
  });
});

describeWithPeers(['fsck.fat', 'mcopy'], 'fatImage read back by dosfstools and mtools', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fat-'));
  });
  afterAll(() => rm(dir, { recursive: true }));

  it('gives a volume fsck.fat finds clean, whose files mtools reads back byte for byte, large ones too', async () => {
    const big = Buffer.alloc(3_000_001);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 9)) & 0xff;
    await writeFile(join(dir, 'big'), big);
    const files: FatFile[] = [
      { path: 'efi/boot/bootx64.efi', source: text('shim') },
      { path: 'efi/boot/grubx64.efi', source: text('grub') },
      { path: 'grub/grub.cfg', source: text('set timeout=0\n') },
      { path: 'agent/vmlinuz', source: { path: join(dir, 'big'), size: big.length } },
      { path: 'agent/empty', source: new Uint8Array(0) },
    ];
    const img = join(dir, 'boot.img');
    const size = await writeImage(files, img);
    expect((await readFile(img)).length).toBe(size);
    execFileSync('fsck.fat', ['-n', img]); // exits non-zero on any inconsistency
    await mkdir(join(dir, 'out'));
    execFileSync('mcopy', ['-s', '-n', '-i', img, '::/efi', '::/grub', '::/agent', join(dir, 'out')]);
    expect(await readFile(join(dir, 'out/efi/boot/bootx64.efi'), 'utf8')).toBe('shim');
    expect(await readFile(join(dir, 'out/grub/grub.cfg'), 'utf8')).toBe('set timeout=0\n');
    expect(Buffer.compare(await readFile(join(dir, 'out/agent/vmlinuz')), big)).toBe(0);
    expect((await readFile(join(dir, 'out/agent/empty'))).length).toBe(0);
  });
});
