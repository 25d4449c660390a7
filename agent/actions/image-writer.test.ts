import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageWriter } from './image-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'dfx-imgw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function target(): string {
  const p = join(dir, `t-${Math.random()}`);
  writeFileSync(p, '');
  return p;
}

describe('ImageWriter', () => {
  it('writes and hashes pieces of any size across chunk boundaries, with few slots', async () => {
    const data = randomBytes(10_007);
    const path = target();
    const w = await ImageWriter.open(path, 'sha512', 1000, 2);
    try {
      for (let off = 0, n = 1; off < data.length; off += n, n = (n * 7) % 2500) await w.push(data.subarray(off, off + n));
      expect(await w.finish()).toBe(createHash('sha512').update(data).digest('hex'));
    } finally {
      await w.close();
    }
    expect(readFileSync(path).equals(data)).toBe(true);
  });

  it('gives the digest of the bytes taken so far, partial chunk included, and goes on', async () => {
    const data = randomBytes(5000);
    const w = await ImageWriter.open(target(), 'sha256', 1024, 3);
    try {
      await w.push(data.subarray(0, 2500));
      expect(await w.digestSoFar()).toBe(createHash('sha256').update(data.subarray(0, 2500)).digest('hex'));
      await w.push(data.subarray(2500));
      expect(await w.finish()).toBe(createHash('sha256').update(data).digest('hex'));
    } finally {
      await w.close();
    }
  });

  it('fails (without hanging) when the disk refuses a write', async () => {
    const w = await ImageWriter.open('/dev/full', 'sha256', 1024, 2);
    try {
      const err = await (async () => {
        for (let i = 0; i < 10; i++) await w.push(randomBytes(1024));
        await w.flush();
      })().catch((e: Error) => e);
      expect(String(err)).toMatch(/ENOSPC/);
    } finally {
      await w.close();
    }
  });
});
