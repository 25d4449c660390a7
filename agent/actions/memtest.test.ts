import { describe, expect, it } from 'vitest';
import { MiB } from './burnin-common.ts';
import { MEMTEST_CHUNK, MEMTEST_RESERVE, memAvailable, runMemtest, testMemory } from './memtest.ts';

const action = { name: 'mem', type: 'memtest' as const };
/** A machine with this much available memory, which stays put (the test's own allocations are small next to the host's). */
const fixed = (bytes: number) => () => bytes;

describe('memtest', () => {
  it('tests the share of available memory above the reserve, in chunks, and passes on good RAM', async () => {
    const progress: number[] = [];
    const r = await testMemory({ ...action, share: 0.5 }, { availableBytes: fixed(MEMTEST_RESERVE + 200 * MiB), onProgress: (p) => progress.push(p.bytesDone) });
    expect(r.testedBytes).toBe(100 * MiB); // half of the 200 MiB above the reserve: two chunks (64 + 36 MiB)
    expect(r.mismatches).toBe(0);
    expect(r.mbps).toBeGreaterThan(0);
    // 4 patterns, each written and read over all 100 MiB
    expect(progress.at(-1)).toBe(4 * 2 * 100 * MiB);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('reports MiB, patterns, MB/s and no errors in its message', async () => {
    const m = await runMemtest({ ...action, share: 0.9, maxMiB: 8, passes: 2 }, { availableBytes: fixed(4096 * MiB) });
    expect(m).toMatch(/^memtest: 8 MiB tested \(4 patterns × 2 passes\) in [\d.]+ s, [\d.]+ MB\/s, 0 errors$/);
  });

  it('fails naming the offsets when a byte reads back different (bad RAM stood in by a flipped bit)', async () => {
    const flip = (chunks: readonly Buffer[]) => {
      chunks[0][0x1234] ^= 0x01;
      chunks[1][5] ^= 0x80; // the second chunk: its offset counts from the start of the tested memory
    };
    let once = false;
    const deps = { availableBytes: fixed(MEMTEST_RESERVE + 2 * MEMTEST_CHUNK), afterWrite: (c: readonly Buffer[]) => (once ? undefined : ((once = true), flip(c))) };
    const err = await runMemtest({ ...action, share: 0.9 }, deps).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      new RegExp(`^memtest: 2 mismatches at offsets 0x1234 \\(wrote 0x55, read 0x54\\), 0x${(MEMTEST_CHUNK + 5).toString(16)} \\(wrote 0x55, read 0xd5\\); 115 MiB tested`),
    );
  });

  it('finds two addresses that alias (the offset pattern), which constant patterns cannot', async () => {
    let n = 0;
    // Make 0x100 read what 0x0 holds, after every write: a stuck address line.
    const alias = (chunks: readonly Buffer[]) => {
      n++;
      chunks[0].copy(chunks[0], 0x100, 0, 4);
    };
    const err = await runMemtest({ ...action, share: 0.5, maxMiB: 1 }, { availableBytes: fixed(4096 * MiB), afterWrite: alias }).catch((e: Error) => e);
    expect(n).toBe(4);
    // 0x55 and 0xaa read back fine; offset and ~offset do not (word 0x100 holds 0x100, or its complement)
    expect((err as Error).message).toMatch(/^memtest: 2 mismatches at offsets 0x101 \(wrote 0x1, read 0x0\), 0x101 \(wrote 0xfe, read 0xff\); 1 MiB tested/);
  });

  it('fails below minMBps with the figures', async () => {
    await expect(runMemtest({ ...action, maxMiB: 1, minMBps: 1e12 }, { availableBytes: fixed(4096 * MiB) })).rejects.toThrow(/^memtest: [\d.]+ MB\/s is below minMBps 1000000000000; 1 MiB tested .*, 0 errors$/);
  });

  it('stops taking memory when available memory falls to the reserve, and says so', async () => {
    let left = MEMTEST_RESERVE + 3 * MEMTEST_CHUNK;
    // Each call sees what the chunks taken so far used (as the kernel's MemAvailable would), and something else takes 100 MiB.
    const available = () => {
      const now = left;
      left -= 100 * MiB;
      return now;
    };
    const m = await runMemtest({ ...action, share: 0.9 }, { availableBytes: available });
    expect(m).toMatch(/; stopped at 64 MiB: only \d+ MiB was still available$/);
  });

  it('fails rather than pass having tested nothing, when memory vanished before the first chunk', async () => {
    const answers = [MEMTEST_RESERVE + 100 * MiB, MEMTEST_RESERVE + 10 * MiB];
    await expect(runMemtest(action, { availableBytes: () => answers.shift() ?? 0 })).rejects.toThrow('memtest: only 138 MiB available, not enough for 50 MiB above the 128 MiB the agent keeps');
  });

  it('refuses when nothing is left above the reserve', async () => {
    await expect(runMemtest(action, { availableBytes: fixed(MEMTEST_RESERVE) })).rejects.toThrow('memtest: 128 MiB available leaves nothing to test above the 128 MiB the agent keeps');
  });

  it('reads MemAvailable on this host', () => {
    expect(memAvailable()).toBeGreaterThan(0);
  });
});
