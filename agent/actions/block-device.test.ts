import { describe, expect, it } from 'vitest';
import { partitionPath, rereadPartitions } from './block-device.ts';
import type { Exec } from './exec.ts';

const recorder = (fail: string[]) => {
  const calls: string[] = [];
  const exec: Exec = async (f, a) => (calls.push([f, ...a].join(' ')), { code: fail.includes(f) ? 1 : 0, stdout: '', stderr: `${f}: Device or resource busy` });
  return { exec, calls };
};

describe('block devices', () => {
  it('names partitions as the kernel does', () => {
    expect(partitionPath('/dev/sda', 1)).toBe('/dev/sda1');
    expect(partitionPath('/dev/vda', 15)).toBe('/dev/vda15');
    expect(partitionPath('/dev/nvme0n1', 2)).toBe('/dev/nvme0n1p2');
    expect(partitionPath('/dev/mmcblk0', 1)).toBe('/dev/mmcblk0p1');
  });

  it('re-reads with blockdev, falls back to partprobe, then mdev -s when the nodes do not appear', async () => {
    const ok = recorder([]);
    await rereadPartitions(ok.exec, '/dev/sda', ['/dev/sda1'], () => true);
    expect(ok.calls).toEqual(['blockdev --rereadpt /dev/sda']);
    const fallback = recorder(['blockdev']);
    await rereadPartitions(fallback.exec, '/dev/sda', ['/dev/sda1'], () => true);
    expect(fallback.calls).toEqual(['blockdev --rereadpt /dev/sda', 'partprobe /dev/sda']);
    let mdevRan = false;
    const late = recorder([]);
    const exec: Exec = async (f, a) => ((mdevRan ||= f === 'mdev'), late.exec(f, a));
    await rereadPartitions(exec, '/dev/sda', ['/dev/sda1'], () => mdevRan);
    expect(late.calls).toEqual(['blockdev --rereadpt /dev/sda', 'mdev -s']);
  }, 20_000);

  it('says the table was not taken (a mounted partition) when both tools fail', async () => {
    const busy = recorder(['blockdev', 'partprobe']);
    await expect(rereadPartitions(busy.exec, '/dev/sda', [], () => true)).rejects.toThrow(/did not take the new partition table of \/dev\/sda \(is a partition mounted\?\): blockdev --rereadpt \/dev\/sda exited with 1: blockdev: Device or resource busy/);
  });
});
