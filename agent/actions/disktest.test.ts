import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HardwareFacts } from '../../core/model/hardware.ts';
import { describeWithPeers } from '../../core/testing/peers.ts';
import { MiB } from './burnin-common.ts';
import { planExtents, runDisktest } from './disktest.ts';
import { spawnExec } from './exec.ts';
import { runWorkflow, type ActionEvent } from './runner.ts';

const dir = mkdtempSync(join(tmpdir(), 'dfx-disktest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file standing in for the target disk (sparse: it costs only what the test writes). */
function diskFile(name: string, bytes: number): string {
  const path = join(dir, name);
  writeFileSync(path, '');
  truncateSync(path, bytes);
  return path;
}

function readAt(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(length);
    readSync(fd, b, 0, length, offset);
    return b;
  } finally {
    closeSync(fd);
  }
}

function writeAt(path: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

const action = { name: 'disk-check', type: 'disktest' as const, disk: { path: '/dev/vda' } };
/** Tests never drop the host's page cache: the file reads back through it, which is all a unit test needs. */
const keepCache = async () => undefined;

describe('planExtents', () => {
  it('spreads the tested MiB from the start to the very end of the disk, never overlapping', () => {
    const e = planExtents(16, 64);
    expect(e).toHaveLength(8);
    expect(e[0]).toEqual({ startMiB: 0, lengthMiB: 2 });
    expect(e.at(-1)).toEqual({ startMiB: 62, lengthMiB: 2 });
    for (let i = 1; i < e.length; i++) expect(e[i].startMiB).toBeGreaterThanOrEqual(e[i - 1].startMiB + e[i - 1].lengthMiB);
  });

  it('caps the size at the disk, and tests a whole small disk', () => {
    const e = planExtents(1024, 100);
    expect(e.reduce((n, x) => n + x.lengthMiB, 0)).toBe(96); // 8 × 12
    expect(e.at(-1)!.startMiB + e.at(-1)!.lengthMiB).toBe(100);
    expect(planExtents(3, 1000)).toEqual([{ startMiB: 0, lengthMiB: 1 }, { startMiB: 499, lengthMiB: 1 }, { startMiB: 999, lengthMiB: 1 }]);
    expect(planExtents(5, 1)).toEqual([{ startMiB: 0, lengthMiB: 1 }]);
  });
});

describe('disktest on a file standing in for the disk', () => {
  it('writes its pattern at the start and the end, reads it back and reports MB/s', async () => {
    const path = diskFile('good.img', 64 * MiB);
    const progress: number[] = [];
    const m = await runDisktest({ ...action, sizeMiB: 16 }, { path, sizeBytes: 64 * MiB }, { dropCaches: keepCache, onProgress: (p) => progress.push(p.bytesDone) });
    expect(m).toMatch(/^disktest .*good\.img: 16 MiB in 8 of 8 places written at [\d.]+ MB\/s and read back at [\d.]+ MB\/s, [\d.]+ s, 0 errors$/);
    // every sector starts with its own offset: the first, and the last of the disk
    expect(readAt(path, 0, 8).readBigUInt64LE()).toBe(0n);
    expect(readAt(path, 64 * MiB - 512, 8).readBigUInt64LE()).toBe(BigInt(64 * MiB - 512));
    expect(readAt(path, 3 * MiB, 8).equals(Buffer.alloc(8))).toBe(true); // between the places: untouched
    expect(progress.at(-1)).toBe(2 * 16 * MiB);
  });

  it('fails naming the sectors when what it reads back differs from what it wrote', async () => {
    const path = diskFile('corrupt.img', 64 * MiB);
    const corrupt = async () => {
      writeAt(path, 0x200 + 100, Buffer.from([0xff])); // a byte inside the second sector
      writeAt(path, 62 * MiB + 1024, Buffer.alloc(512)); // a zeroed sector in the last place
      return undefined;
    };
    await expect(runDisktest({ ...action, sizeMiB: 16 }, { path, sizeBytes: 64 * MiB }, { dropCaches: corrupt })).rejects.toThrow(
      /^disktest .*corrupt\.img: 2 sectors read back different from what was written, at offsets 0x200, 0x3e00400; 16 MiB in 8 of 8 places/,
    );
  });

  it('fails when the disk ends before the size it claims (data written past the end is gone)', async () => {
    const path = diskFile('short.img', 64 * MiB);
    const shrink = async () => void truncateSync(path, 32 * MiB);
    await expect(runDisktest({ ...action, sizeMiB: 16 }, { path, sizeBytes: 64 * MiB }, { dropCaches: shrink })).rejects.toThrow(/: the disk ended at offset 36700160, inside what was written;/);
  });

  it('stops writing at maxSeconds and verifies what it wrote', async () => {
    const path = diskFile('slow.img', 64 * MiB);
    let t = 0;
    const now = () => (t += 250); // every block takes a quarter second
    const m = await runDisktest({ ...action, sizeMiB: 16, maxSeconds: 1 }, { path, sizeBytes: 64 * MiB }, { dropCaches: keepCache, now });
    expect(m).toMatch(/: 4 MiB in 2 of 8 places written at [\d.]+ MB\/s .*\(the write stopped at maxSeconds 1\), 0 errors$/);
  });

  it('fails below a threshold with the figures, and notes when the page cache stayed', async () => {
    const path = diskFile('thresh.img', 8 * MiB);
    await expect(runDisktest({ ...action, sizeMiB: 4, minWriteMBps: 1e9 }, { path, sizeBytes: 8 * MiB }, { dropCaches: keepCache })).rejects.toThrow(
      /^disktest .*: writes at [\d.]+ MB\/s, below minWriteMBps 1000000000; 4 MiB in 4 of 4 places .*, 0 errors$/,
    );
    // the default flush: blockdev refuses a regular file, and the message says what that means for the figures
    const m = await runDisktest({ ...action, sizeMiB: 4 }, { path, sizeBytes: 8 * MiB }, { exec: async () => ({ code: 1, stdout: '', stderr: 'blockdev: ioctl 0x1261 failed: Inappropriate ioctl for device' }) });
    expect(m).toMatch(/0 errors; the device cache could not be flushed \(blockdev --flushbufs .*thresh\.img exited with 1: blockdev: ioctl 0x1261 failed: Inappropriate ioctl for device\), so reads may come from memory$/);
  });
});

describeWithPeers(['root', 'losetup', 'blockdev'], 'disktest through the runner on a real loop device', () => {
  const facts = (path: string, sizeBytes: number): HardwareFacts => ({
    cpu: { model: 't', sockets: 1, cores: 1, threads: 1 },
    memoryBytes: 0,
    disks: [{ name: path.slice(5), path, sizeBytes }],
    nics: [],
    dmi: {},
    firmware: 'bios',
  });
  const withLoop = async (bytes: number, body: (loop: string) => Promise<void>) => {
    const loop = execFileSync('losetup', ['--find', '--show', diskFile(`loop-${bytes}.img`, bytes)]).toString().trim();
    try {
      await body(loop);
    } finally {
      execFileSync('losetup', ['-d', loop]);
    }
  };

  it('reports progress and Succeeded with the figures', async () => {
    await withLoop(32 * MiB, async (loop) => {
      const events: ActionEvent[] = [];
      const workflow = { name: 'w', actions: [{ ...action, sizeMiB: 8, disk: { path: loop } }] };
      const out = await runWorkflow({ workflow, facts: facts(loop, 32 * MiB), exec: spawnExec, report: async (e) => void events.push(e) });
      expect(out).toEqual({ ok: true, ran: 1 });
      expect(events.some((e) => e.phase === 'Running' && e.bytesDone !== undefined)).toBe(true);
      expect(events.at(-1)).toMatchObject({ action: 0, phase: 'Succeeded', message: expect.stringMatching(new RegExp(`^disktest ${loop}: 8 MiB in 8 of 8 places .*, 0 errors$`)) }); // blockdev --flushbufs worked on the loop device: no note
    });
  });

  it('stops the workflow when the device is smaller than the facts say (a fake-capacity disk)', async () => {
    await withLoop(16 * MiB, async (loop) => {
      const events: ActionEvent[] = [];
      const workflow = { name: 'w', actions: [{ ...action, sizeMiB: 8, disk: { path: loop } }, { name: 'reboot', type: 'reboot' as const }] };
      const out = await runWorkflow({ workflow, facts: facts(loop, 64 * MiB), exec: spawnExec, report: async (e) => void events.push(e) });
      expect(out).toMatchObject({ ok: false, action: 0 });
      expect(events.at(-1)).toMatchObject({ action: 0, phase: 'Failed', message: expect.stringMatching(new RegExp(`^action "disk-check" \\(disktest\\) failed: disktest ${loop}: cannot write at offset \\d+ \\(the disk reports 67108864 bytes\\): ENOSPC`)) });
      expect(events.filter((e) => e.action === 1)).toEqual([]); // the workflow stopped there
    });
  });
});
