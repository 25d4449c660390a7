import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesReader, fileHandleReader, streamReader, toBlockReader } from './sources.ts';

const dir = mkdtempSync(join(tmpdir(), 'dft-sources-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const data = Buffer.from(Array.from({ length: 700_000 }, (_, i) => (i * 13) & 0xff));

describe('fileHandleReader', () => {
  it('reads any offset, across the read-ahead boundary and backwards (retransmits), then closes', async () => {
    const file = join(dir, 'f.bin');
    writeFileSync(file, data);
    const handle = await open(file, 'r');
    const r = fileHandleReader(handle);
    for (const [off, len] of [[0, 1468], [262_000, 1468 * 8], [1468, 512], [699_990, 512], [700_000, 512]]) {
      expect(Buffer.compare(Buffer.from(await r.read(off, len)), data.subarray(off, off + len))).toBe(0);
    }
    await r.close();
    await expect(handle.stat()).rejects.toThrow(); // the descriptor is gone
  });
});

describe('streamReader', () => {
  it('serves forward reads and a re-read of the oldest unacknowledged offset', async () => {
    const chunks = [data.subarray(0, 1000), data.subarray(1000, 5000), data.subarray(5000, 6000)];
    const r = streamReader(Readable.from(chunks));
    expect(Buffer.from(await r.read(0, 2048))).toEqual(data.subarray(0, 2048));
    expect(Buffer.from(await r.read(1024, 2048))).toEqual(data.subarray(1024, 3072));
    expect(Buffer.from(await r.read(1024, 2048))).toEqual(data.subarray(1024, 3072)); // retransmit
    expect(Buffer.from(await r.read(5120, 2048))).toEqual(data.subarray(5120, 6000)); // short at the end
    await expect(r.read(0, 10)).rejects.toThrow(/cannot go back/);
    r.close();
  });

  it('passes a stream error on to the reader', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('generator failed'));
      },
    });
    await expect(streamReader(failing).read(0, 10)).rejects.toThrow('generator failed');
  });
});

describe('toBlockReader', () => {
  it('accepts bytes, streams and readers', async () => {
    expect(Buffer.from(await toBlockReader(Buffer.from('abc')).read(1, 5)).toString()).toBe('bc');
    expect(Buffer.from(await toBlockReader(Readable.from([Buffer.from('xyz')])).read(0, 5)).toString()).toBe('xyz');
    const reader = bytesReader(Buffer.from('q'));
    expect(toBlockReader(reader)).toBe(reader);
  });
});
