import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HardwareFacts } from '../../core/model/hardware.ts';
import { describeWithPeers, peersPresent } from '../../core/testing/peers.ts';
import { spawnExec, type Exec } from './exec.ts';
import { runWorkflow, type ActionEvent } from './runner.ts';
import { parseMode, partitionDevice, pathInside, withMounted, writeFileInside } from './writefile.ts';

const dir = mkdtempSync(join(tmpdir(), 'dfx-wf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function recorder(answers: Record<string, { code: number; stdout?: string; stderr?: string }> = {}) {
  const calls: string[] = [];
  const exec: Exec = async (file, args) => {
    calls.push([file, ...args].join(' '));
    const a = answers[file] ?? { code: 0 };
    return { code: a.code, stdout: a.stdout ?? '', stderr: a.stderr ?? '' };
  };
  return { exec, calls };
}

describe('writefile parts', () => {
  it('parses octal modes and keeps paths inside the partition', () => {
    expect(parseMode('0600')).toBe(0o600);
    expect(parseMode('755')).toBe(0o755);
    expect(parseMode(undefined)).toBe(0o644);
    expect(() => parseMode('0999')).toThrow(/not octal/);
    expect(pathInside('/mnt', '/etc/cloud/cloud.cfg.d/99.cfg')).toBe('/mnt/etc/cloud/cloud.cfg.d/99.cfg');
    expect(pathInside('/mnt', '/../../etc/shadow')).toBe('/mnt/etc/shadow'); // ".." above / stays at /
    expect(() => pathInside('/mnt', '/')).toThrow(/does not name a file inside/);
  });

  it('writes the file with its parents, mode and owner', async () => {
    const root = mkdtempSync(join(dir, 'root-'));
    // Only root may give a file away; anyone else proves the chown with their own ids.
    const [uid, gid] = peersPresent(['root']) ? [1000, 1001] : [process.getuid!(), process.getgid!()];
    const p = await writeFileInside(root, { path: '/var/lib/cloud/seed/nocloud/user-data', content: '#cloud-config\n', mode: 0o600, uid, gid });
    expect(readFileSync(p, 'utf8')).toBe('#cloud-config\n');
    const st = statSync(p);
    expect(st.mode & 0o7777).toBe(0o600);
    expect([st.uid, st.gid]).toEqual([uid, gid]);
    expect(statSync(join(root, 'var/lib/cloud')).mode & 0o777).toBe(0o755);
  });

  it('finds a partition by number with the kernel naming rule, or by label on the chosen disk only', async () => {
    const { exec } = recorder({ blkid: { code: 0, stdout: '/dev/nvme0n1p2\n' } });
    const all = () => true;
    expect(await partitionDevice('/dev/nvme0n1', 1, { exec, exists: all })).toBe('/dev/nvme0n1p1');
    expect(await partitionDevice('/dev/sda', 2, { exec, exists: all })).toBe('/dev/sda2');
    await expect(partitionDevice('/dev/sda', 3, { exec, exists: () => false })).rejects.toThrow('partition 3 of /dev/sda (/dev/sda3) does not exist');
    expect(await partitionDevice('/dev/nvme0n1', 'cidata', { exec, exists: () => false })).toBe('/dev/nvme0n1p2');
    await expect(partitionDevice('/dev/sda', 'cidata', { exec, exists: () => false })).rejects.toThrow('labelled "cidata" is on /dev/nvme0n1p2, not on the chosen disk /dev/sda');
    const byLink = await partitionDevice('/dev/sda', 'ROOT', { exec, exists: (p) => p === '/dev/disk/by-label/ROOT', realpath: () => '/dev/sda1' });
    expect(byLink).toBe('/dev/sda1');
  });

  it('falls back to busybox findfs when blkid is missing, and says where it looked', async () => {
    const { exec, calls } = recorder({ blkid: { code: 127 }, findfs: { code: 0, stdout: '/dev/vda3\n' } });
    expect(await partitionDevice('/dev/vda', 'cidata', { exec, exists: () => false })).toBe('/dev/vda3');
    expect(calls).toEqual(['blkid -L cidata', 'findfs LABEL=cidata']);
    const none = recorder({ blkid: { code: 2 }, findfs: { code: 1 } });
    await expect(partitionDevice('/dev/vda', 'x', { exec: none.exec, exists: () => false })).rejects.toThrow(/no file system labelled "x" \(looked in/);
  });

  it('always unmounts, also when writing fails, and reports a failed mount', async () => {
    const { exec, calls } = recorder();
    await expect(withMounted(exec, '/dev/sda1', async () => Promise.reject(new Error('disk full')), dir)).rejects.toThrow('disk full');
    expect(calls[0]).toMatch(/^mount \/dev\/sda1 \S+df-mnt-/);
    expect(calls.at(-1)).toBe(`umount ${calls[0].split(' ')[2]}`);
    const bad = recorder({ mount: { code: 255, stderr: 'mount: mounting /dev/sda1 failed: Invalid argument' } });
    await expect(withMounted(bad.exec, '/dev/sda1', async () => 1, dir)).rejects.toThrow(/mount \/dev\/sda1 .* exited with 255: mount: mounting/);
    expect(bad.calls.some((c) => c.startsWith('umount'))).toBe(false);
  });
});

describeWithPeers(['root', 'losetup', 'mkfs.ext4', 'blkid'], 'writefile on a real ext4 file system in a loop device', () => {
  it('mounts by label, writes the file with mode and owner, unmounts', async () => {
    const img = join(dir, 'fs.img');
    writeFileSync(img, '');
    truncateSync(img, 32 * 1024 * 1024);
    execFileSync('mkfs.ext4', ['-q', '-L', 'dfxseed', img]);
    const loop = execFileSync('losetup', ['--find', '--show', img]).toString().trim();
    try {
      const facts: HardwareFacts = { cpu: { model: 't', sockets: 1, cores: 1, threads: 1 }, memoryBytes: 0, disks: [{ name: loop.slice(5), path: loop, sizeBytes: 32 << 20 }], nics: [], dmi: {}, firmware: 'bios' };
      const events: ActionEvent[] = [];
      const out = await runWorkflow({
        workflow: { name: 'w', actions: [{ name: 'seed', type: 'writefile', disk: { path: loop }, partition: 'dfxseed', path: '/nocloud/meta-data', content: 'instance-id: amber-falcon\n', mode: '0640', uid: 0, gid: 4 }] },
        facts,
        exec: spawnExec,
        report: async (e) => void events.push(e),
      });
      expect(out).toEqual({ ok: true, ran: 1 });
      expect(spawnSync('findmnt', ['-rn', '-S', loop], { encoding: 'utf8' }).stdout).toBe(''); // unmounted again
      const check = mkdtempSync(join(dir, 'check-'));
      execFileSync('mount', ['-o', 'ro', loop, check]);
      try {
        expect(readFileSync(join(check, 'nocloud/meta-data'), 'utf8')).toBe('instance-id: amber-falcon\n');
        const st = statSync(join(check, 'nocloud/meta-data'));
        expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o640, 0, 4]);
      } finally {
        execFileSync('umount', [check]);
      }
    } finally {
      execFileSync('losetup', ['-d', loop]);
    }
  });
});
