import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeWithPeers } from '../../core/testing/peers.ts';
import type { HardwareFacts } from '../../core/model/hardware.ts';
import { spawnExec } from './exec.ts';
import { MiB, planLayout, type PartitionSpec } from './partition-layout.ts';
import { chs, guidToBytes } from './partition-table.ts';
import { runPartition } from './partition.ts';

const dir = mkdtempSync(join(tmpdir(), 'dfx-part-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


const debianLayout: PartitionSpec[] = [
  { label: 'bios', role: 'bios-boot', sizeMiB: 1 },
  { label: 'EFI', role: 'esp', sizeMiB: 64 },
  { label: 'swap', role: 'swap', sizeMiB: 32 },
  { label: 'root', role: 'root', sizeMiB: 0 },
];

function factsFor(path: string, sizeBytes: number): HardwareFacts {
  return {
    cpu: { model: 'test', sockets: 1, cores: 1, threads: 1 },
    memoryBytes: 0,
    disks: [{ name: path.split('/').pop()!, path, sizeBytes }],
    nics: [],
    dmi: {},
    firmware: 'uefi',
  };
}

function sparseImage(name: string, bytes: number): string {
  const p = join(dir, name);
  writeFileSync(p, '');
  truncateSync(p, bytes);
  return p;
}

const seq = (() => {
  let n = 0;
  return (len: number) => Uint8Array.from({ length: len }, () => ++n & 0xff);
})();

describe('planLayout', () => {
  it('aligns every partition to 1 MiB and gives the rest of the disk to sizeMiB 0 (GPT, 512-byte sectors)', () => {
    const r = planLayout('gpt', debianLayout, 256 * MiB);
    expect(r.ok && r.layout.partitions.map((p) => [p.firstLba, p.lastLba])).toEqual([
      [2048, 4095],
      [4096, 135167],
      [135168, 200703],
      // 256 MiB disk: the backup GPT takes the last 33 sectors, so the last whole MiB ends at 255 MiB
      [200704, 255 * 2048 - 1],
    ]);
  });

  it('uses 4096-byte sectors as 4Kn disks do (1 MiB = 256 sectors)', () => {
    const r = planLayout('gpt', [{ label: 'r', role: 'root', sizeMiB: 0 }], 64 * MiB, 4096);
    expect(r.ok && r.layout.partitions[0]).toMatchObject({ firstLba: 256, lastLba: 63 * 256 - 1 });
  });

  it('lets an MBR rest partition reach the last whole MiB (no backup table at the end)', () => {
    const r = planLayout('mbr', [{ label: 'r', role: 'root', sizeMiB: 0 }], 64 * MiB);
    expect(r.ok && r.layout.partitions[0]).toMatchObject({ firstLba: 2048, lastLba: 64 * 2048 - 1 });
  });

  it('refuses layouts that cannot be written, saying why', () => {
    const err = (t: 'gpt' | 'mbr', specs: PartitionSpec[], bytes = 64 * MiB) => {
      const r = planLayout(t, specs, bytes);
      return r.ok ? 'ok' : r.error;
    };
    expect(err('gpt', [{ label: 'a', role: 'root', sizeMiB: 100 }])).toBe('the partitions need 101 MiB but the disk has 63 MiB usable');
    expect(err('gpt', [{ label: 'a', role: 'root', sizeMiB: 63 }, { label: 'b', role: 'data', sizeMiB: 0 }])).toMatch(/no room left/);
    expect(err('gpt', [{ label: 'a', role: 'root', sizeMiB: 0 }, { label: 'b', role: 'data', sizeMiB: 0 }])).toMatch(/only one partition/);
    expect(err('mbr', debianLayout)).toMatch(/bios-boot is a GPT role/);
    expect(err('mbr', Array.from({ length: 5 }, (_, i) => ({ label: `p${i}`, role: 'data' as const, sizeMiB: 1 })))).toMatch(/4 primary/);
    expect(err('mbr', [{ label: 'r', role: 'root', sizeMiB: 0 }], 3 * 2 ** 40)).toBe('ok'); // capped at 2 TiB, not refused
  });

  it('encodes GUIDs mixed-endian and CHS the classic way', () => {
    expect(guidToBytes('C12A7328-F81F-11D2-BA4B-00A0C93EC93B').toString('hex')).toBe('28732ac11ff8d211ba4b00a0c93ec93b');
    expect([...chs(2048)]).toEqual([32, 33, 0]);
    expect([...chs(2 ** 30)]).toEqual([0xfe, 0xff, 0xff]);
  });
});

describeWithPeers(['sfdisk', 'sgdisk'], 'runPartition on a sparse image, checked by util-linux and gdisk', () => {
  it('writes a GPT that sgdisk verifies and sfdisk reads back partition by partition', async () => {
    const img = sparseImage('gpt.img', 256 * MiB);
    writeFileSync(img, Buffer.alloc(MiB, 0xaa), { flag: 'r+' }); // stale bytes must be cleared
    await runPartition({ name: 'p', type: 'partition', disk: { path: img }, table: 'gpt', partitions: debianLayout }, { facts: factsFor(img, 256 * MiB), exec: spawnExec, random: seq });
    const verify = execFileSync('sgdisk', ['-v', img]).toString();
    expect(verify).toContain('No problems found');
    const dump = JSON.parse(execFileSync('sfdisk', ['--json', img]).toString()).partitiontable;
    expect(dump.label).toBe('gpt');
    expect(dump.firstlba).toBe(34);
    expect(dump.lastlba).toBe(256 * 2048 - 34);
    expect(dump.partitions.map((p: { start: number; size: number; type: string; name: string }) => [p.start, p.size, p.type, p.name])).toEqual([
      [2048, 2048, '21686148-6449-6E6F-744E-656564454649', 'bios'],
      [4096, 64 * 2048, 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', 'EFI'],
      [135168, 32 * 2048, '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F', 'swap'],
      [200704, (255 - 98) * 2048, '0FC63DAF-8483-4772-8E79-3D69D8477DE4', 'root'],
    ]);
    const bytes = readFileSync(img).subarray(0, MiB);
    expect(bytes.subarray(34 * 512).every((b) => b === 0)).toBe(true);
    const fdisk = execFileSync('fdisk', ['-l', img]).toString();
    expect(fdisk).toMatch(/Disklabel type: gpt/);
    expect(fdisk).toMatch(/gpt\.img2\s+4096\s+135167\s+131072\s+64M EFI System/);
  });

  it('writes an MBR that sfdisk reads back with types, sizes and the active flag', async () => {
    const img = sparseImage('mbr.img', 128 * MiB);
    const specs: PartitionSpec[] = [
      { label: 'efi', role: 'esp', sizeMiB: 16 },
      { label: 'swap', role: 'swap', sizeMiB: 8 },
      { label: 'root', role: 'root', sizeMiB: 0 },
    ];
    await runPartition({ name: 'p', type: 'partition', disk: { path: img }, table: 'mbr', partitions: specs }, { facts: factsFor(img, 128 * MiB), exec: spawnExec, random: seq });
    const dump = execFileSync('sfdisk', ['--dump', img]).toString();
    expect(dump).toContain('label: dos');
    expect(dump).toMatch(/mbr\.img1 : start=\s*2048, size=\s*32768, type=ef\n/);
    expect(dump).toMatch(/mbr\.img2 : start=\s*34816, size=\s*16384, type=82\n/);
    expect(dump).toMatch(/mbr\.img3 : start=\s*51200, size=\s*210944, type=83, bootable\n/);
    expect(execFileSync('sfdisk', ['--verify', img]).toString()).toContain('No errors detected');
  });

  it('refuses a disk the selector does not find, writing nothing', async () => {
    const img = sparseImage('untouched.img', 8 * MiB);
    const act = runPartition(
      { name: 'p', type: 'partition', disk: { serial: 'NOPE' }, table: 'gpt', partitions: [{ label: 'r', role: 'root', sizeMiB: 0 }] },
      { facts: factsFor(img, 8 * MiB), exec: spawnExec },
    );
    await expect(act).rejects.toThrow(/no disk for serial "NOPE": not present/);
    expect(readFileSync(img).every((b) => b === 0)).toBe(true);
  });
});


async function withLoop<T>(bytes: number, sectorSize: number, fn: (loop: string) => Promise<T>): Promise<T> {
  const img = sparseImage(`loop-${sectorSize}.img`, bytes);
  const loop = execFileSync('losetup', ['--find', '--show', '--partscan', '--sector-size', String(sectorSize), img]).toString().trim();
  try {
    return await fn(loop);
  } finally {
    execFileSync('losetup', ['-d', loop]);
  }
}

const efiAndRoot: PartitionSpec[] = [
  { label: 'EFI', role: 'esp', sizeMiB: 8 },
  { label: 'root', role: 'root', sizeMiB: 0 },
];

describeWithPeers(['root', 'losetup', 'sgdisk'], 'runPartition on a 4Kn loop device', () => {
  it('reads the 4096-byte sector size from sysfs, writes a GPT in 4K sectors and asks the kernel to re-read it', async () => {
    const calls: string[] = [];
    const layout = await withLoop(64 * MiB, 4096, (loop) =>
      runPartition(
        { name: 'p', type: 'partition', disk: { path: loop }, table: 'gpt', partitions: efiAndRoot },
        { facts: factsFor(loop, 64 * MiB), exec: spawnExec, reread: async (dev, parts) => void calls.push(`${dev} ${parts.join(' ')}`) },
      ).then((l) => {
        expect(execFileSync('sgdisk', ['-v', loop]).toString()).toContain('No problems found');
        expect(calls).toEqual([`${loop} ${loop}p1 ${loop}p2`]);
        return l;
      }),
    );
    expect(layout.sectorSize).toBe(4096);
    expect(layout.partitions[0]).toMatchObject({ firstLba: 256, lastLba: 9 * 256 - 1 });
  });
});

// The kernel re-reading for real (BLKRRPART creating loopNpM) is not tested here: container
// kernels often never scan loop partitions. The provisioning lab proves it in a real VM kernel:
// image2disk re-reads the written table and writefile then mounts partition 2 (npm run e2e:provision).
