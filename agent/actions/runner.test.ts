import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HardwareFacts } from '../../core/model/hardware.ts';
import type { Action } from '../../core/model/template.ts';
import type { Exec } from './exec.ts';
import type { HttpGet } from './http-get.ts';
import { imageUrl, runWorkflow, type ActionEvent, type AgentWorkflow } from './runner.ts';

const dir = mkdtempSync(join(tmpdir(), 'dfx-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const disk = join(dir, 'disk.img');
writeFileSync(disk, '');
const facts: HardwareFacts = {
  cpu: { model: 't', sockets: 1, cores: 1, threads: 1 },
  memoryBytes: 0,
  disks: [{ name: 'vda', path: disk, sizeBytes: 1 << 30, serial: 'S1' }],
  nics: [],
  dmi: {},
  firmware: 'bios',
};
const image = Buffer.from('a tiny disk image\n'.repeat(1000));
const checksum = `sha256:${createHash('sha256').update(image).digest('hex')}`;

function harness(actions: Action[], wf: Partial<AgentWorkflow> = {}, fail: Record<string, string> = {}) {
  const log: string[] = [];
  const events: ActionEvent[] = [];
  const exec: Exec = async (file, args) => {
    log.push(`exec ${file} ${args.join(' ')}`);
    const err = fail[file];
    return err ? { code: 1, stdout: '', stderr: err } : { code: 0, stdout: '', stderr: '' };
  };
  const httpGet: HttpGet = async (url) => {
    log.push(`GET ${url}`);
    return { status: 200, headers: { 'content-length': String(image.length) }, body: (async function* () {
        yield image;
      })(),
      abort: () => undefined };
  };
  const report = async (ev: ActionEvent) => {
    events.push(ev);
    log.push(`report ${ev.action} ${ev.phase}`);
  };
  const run = () => runWorkflow({ workflow: { name: 'wf', actions, ...wf }, facts, report, exec, httpGet, serverUrl: 'http://cp:8080/' });
  return { run, log, events };
}

const img: Action = { name: 'image', type: 'image2disk', disk: { serial: 'S1' }, image: { url: 'cache:debian-12.raw', checksum } };
const reboot: Action = { name: 'reboot', type: 'reboot' };

describe('runWorkflow', () => {
  it('runs actions in order, reports Running/progress/Succeeded, and reports reboot Succeeded before rebooting', async () => {
    const h = harness([img, reboot]);
    expect(await h.run()).toEqual({ ok: true, ran: 2 });
    expect(readFileSync(disk).equals(image)).toBe(true);
    expect(h.log[0]).toBe('report 0 Running');
    expect(h.log.filter((l) => l !== 'report 0 Running')).toEqual([
      'GET http://cp:8080/images/debian-12.raw',
      `exec blockdev --rereadpt ${disk}`, // the image's own partition table becomes visible
      'report 0 Succeeded',
      'report 1 Running',
      'report 1 Succeeded',
      'exec sync ',
      'exec reboot -f',
    ]);
    expect(h.events).toContainEqual({ action: 0, phase: 'Running', bytesDone: image.length, bytesTotal: image.length });
  });

  it('stops at the first failure with a message naming the action and the reason', async () => {
    const bad: Action = { ...img, name: 'bad-image', image: { url: 'http://x/i.raw', checksum: `sha256:${'1'.repeat(64)}` } } as Action;
    const h = harness([bad, reboot]);
    const out = await h.run();
    expect(out.ok).toBe(false);
    const failed = h.events.find((e) => e.phase === 'Failed')!;
    expect(failed.action).toBe(0);
    expect(failed.message).toMatch(/^action "bad-image" \(image2disk\) failed: checksum mismatch for http:\/\/x\/i\.raw: expected sha256:1{64}, got sha256:[0-9a-f]{64}/);
    expect(h.log).not.toContain('exec reboot -f');
  });

  it('fails an unknown action type clearly, and a disk it cannot find', async () => {
    const h = harness([{ name: 'dance', type: 'dance' } as unknown as Action]);
    await h.run();
    expect(h.events.at(-1)).toEqual({ action: 0, phase: 'Failed', message: expect.stringMatching(/^action "dance" \(dance\) failed: unknown action type "dance"; this agent runs partition, image2disk/) });
    const h2 = harness([{ ...img, disk: { serial: 'NOPE' } } as Action]);
    await h2.run();
    expect(h2.events.at(-1)?.message).toMatch(/no disk for serial "NOPE": not present; disks present: .*disk\.img \(1073741824 bytes, serial S1/);
  });

  it('starts at startAt, skipping an action the control plane already saw succeed', async () => {
    const h = harness([img, img, reboot], { startAt: 1, statuses: [{ phase: 'Succeeded' }, { phase: 'Succeeded' }, { phase: 'Pending' }] });
    expect(await h.run()).toEqual({ ok: true, ran: 1 });
    expect(h.log[0]).toBe('report 2 Running');
    const h2 = harness([img, reboot], { startAt: 1 });
    await h2.run();
    expect(h2.log[0]).toBe('report 1 Running');
  });

  it('stops between actions once cancelled: the running action finishes, the next never starts and is not reported', async () => {
    const stop = new AbortController();
    const events: ActionEvent[] = [];
    const lines: string[] = [];
    const execs: string[] = [];
    const exec: Exec = async (file, args) => {
      execs.push(`${file} ${args.join(' ')}`);
      if (file === 'sync') stop.abort(new Error('workflow wf was cancelled')); // the heartbeat's answer arrives mid-action
      return { code: 0, stdout: '', stderr: '' };
    };
    const first: Action = { name: 'first', type: 'reboot' };
    const out = await runWorkflow({ workflow: { name: 'wf', actions: [first, reboot] }, facts, report: async (e) => void events.push(e), exec, say: (l) => lines.push(l), signal: stop.signal });
    expect(out).toEqual({ ok: false, action: 1, message: 'cancelled before action 2 "reboot": workflow wf was cancelled', cancelled: true });
    expect(events).toEqual([{ action: 0, phase: 'Running' }, { action: 0, phase: 'Succeeded' }]);
    expect(execs).toEqual(['sync ', 'reboot -f']); // the first action ran to its end, the second never began
    expect(lines).toContain('cancelled before action 2 "reboot": workflow wf was cancelled');
  });

  it('does not start an action whose Running report the control plane refused as gone', async () => {
    const stop = new AbortController();
    const execs: string[] = [];
    const exec: Exec = async (file) => (execs.push(file), { code: 0, stdout: '', stderr: '' });
    const report = async () => stop.abort(new Error('HTTP 410: workflow wf was cancelled'));
    const out = await runWorkflow({ workflow: { name: 'wf', actions: [reboot] }, facts, report, exec, signal: stop.signal });
    expect(out).toMatchObject({ ok: false, action: 0, cancelled: true });
    expect(execs).toEqual([]);
  });

  it('does nothing for a workflow that already finished', async () => {
    const h = harness([reboot], { phase: 'Cancelled' });
    expect(await h.run()).toEqual({ ok: true, ran: 0 });
    expect(h.log).toEqual([]);
  });

  it('kexec: loads the kernel from the mounted partition, unmounts, reports Succeeded, then jumps', async () => {
    writeFileSync(`${disk}1`, ''); // the partition node, as the kernel would name it
    const kexec: Action = { name: 'boot', type: 'kexec', disk: { path: disk }, partition: 1, kernel: '/boot/vmlinuz', initrd: '/boot/initrd.img', cmdline: 'root=/dev/vda1 console=ttyS0' };
    const h = harness([kexec]);
    expect(await h.run()).toEqual({ ok: true, ran: 1 });
    const mnt = /exec mount \S+ (\S+)/.exec(h.log.join('\n'))![1];
    expect(h.log).toEqual([
      'report 0 Running',
      `exec mount ${disk}1 ${mnt}`,
      `exec kexec -l ${mnt}/boot/vmlinuz --initrd=${mnt}/boot/initrd.img --command-line=root=/dev/vda1 console=ttyS0`,
      'exec sync ',
      `exec umount ${mnt}`,
      'report 0 Succeeded',
      'exec sync ',
      'exec kexec -e',
    ]);
  });

  it('kexec: a kernel that will not load fails the action before it is reported Succeeded, and still unmounts', async () => {
    writeFileSync(`${disk}1`, '');
    const kexec: Action = { name: 'boot', type: 'kexec', disk: { path: disk }, partition: 1, kernel: '/vmlinuz' };
    const h = harness([kexec], {}, { kexec: 'Cannot determine the file type of /vmlinuz' });
    await h.run();
    expect(h.log.some((l) => l.startsWith('exec kexec -l') && l.endsWith(`--command-line=root=${disk}1 ro`))).toBe(true);
    expect(h.log.some((l) => l.startsWith('exec umount'))).toBe(true);
    expect(h.events.at(-1)?.message).toMatch(/action "boot" \(kexec\) failed: kexec -l .* exited with 1: Cannot determine the file type/);
    expect(h.events.some((e) => e.phase === 'Succeeded')).toBe(false);
  });

  it('maps cache: image URLs to the control plane image cache', () => {
    expect(imageUrl('cache:ubuntu/24.04.raw.zst', 'http://10.0.0.1:8080')).toBe('http://10.0.0.1:8080/images/ubuntu/24.04.raw.zst');
    expect(imageUrl('http://mirror/x.img', undefined)).toBe('http://mirror/x.img');
    expect(() => imageUrl('cache:x', undefined)).toThrow(/does not know the control plane URL/);
  });
});
