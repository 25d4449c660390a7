import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HardwareFacts } from '../../core/model/hardware.ts';
import type { Action } from '../../core/model/template.ts';
import { MiB } from './burnin-common.ts';
import type { Exec } from './exec.ts';
import type { HttpGet } from './http-get.ts';
import { runWorkflow, type ActionEvent } from './runner.ts';

const dir = mkdtempSync(join(tmpdir(), 'dfx-burnin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const disk = join(dir, 'disk.img');
writeFileSync(disk, '');
truncateSync(disk, 32 * MiB);
const facts: HardwareFacts = {
  cpu: { model: 't', sockets: 1, cores: 1, threads: 1 },
  memoryBytes: 0,
  disks: [{ name: 'vda', path: disk, sizeBytes: 32 * MiB, serial: 'S1' }],
  nics: [],
  dmi: {},
  firmware: 'bios',
};
const image = Buffer.from('a tiny disk image\n'.repeat(1000));
const checksum = `sha256:${createHash('sha256').update(image).digest('hex')}`;
const memtest: Action = { name: 'memory', type: 'memtest', share: 0.5, maxMiB: 4 };
const disktest: Action = { name: 'disk', type: 'disktest', disk: { serial: 'S1' }, sizeMiB: 8 };
const cpustress: Action = { name: 'cpu', type: 'cpustress', seconds: 1 };
const img: Action = { name: 'image', type: 'image2disk', disk: { serial: 'S1' }, image: { url: 'cache:x.raw', checksum } };

function harness(actions: Action[]) {
  const events: ActionEvent[] = [];
  const execs: string[] = [];
  // blockdev refuses the regular file standing in for the disk, as it would
  const exec: Exec = async (file, args) => (execs.push([file, ...args].join(' ')), { code: file === 'blockdev' ? 1 : 0, stdout: '', stderr: 'Inappropriate ioctl for device' });
  const httpGet: HttpGet = async () => ({
    status: 200,
    headers: { 'content-length': String(image.length) },
    body: (async function* () {
      yield image;
    })(),
    abort: () => undefined,
  });
  const run = () => runWorkflow({ workflow: { name: 'wf', actions }, facts, report: async (e) => void events.push(e), exec, httpGet, serverUrl: 'http://cp:8080' });
  return { run, events, execs };
}

describe('burn-in checks in a workflow', () => {
  it('run before image2disk, each Succeeded with its figures, then the image is written over the tested disk', async () => {
    const h = harness([memtest, disktest, cpustress, img]);
    expect(await h.run()).toEqual({ ok: true, ran: 4 });
    const done = (i: number) => h.events.find((e) => e.action === i && e.phase === 'Succeeded')?.message;
    expect(done(0)).toMatch(/^memtest: 4 MiB tested \(4 patterns × 1 pass\) in [\d.]+ s, [\d.]+ MB\/s, 0 errors$/);
    expect(done(1)).toMatch(new RegExp(`^disktest ${disk}: 8 MiB in 8 of 8 places written at [\\d.]+ MB/s and read back at [\\d.]+ MB/s, [\\d.]+ s, 0 errors; the device cache could not be flushed`));
    expect(done(2)).toMatch(/^cpustress: \d+ CPUs × 1 s, iterations\/s per CPU [\d., ]+ \(SHA-256 of 64 KiB\), 0 errors; temperature /);
    // progress in bytes, as image2disk reports it
    expect(h.events.filter((e) => e.action === 1 && e.phase === 'Running').at(-1)).toMatchObject({ bytesDone: 16 * MiB, bytesTotal: 16 * MiB });
    expect(h.execs).toContain(`blockdev --flushbufs ${disk}`);
    expect(readFileSync(disk).subarray(0, image.length).equals(image)).toBe(true);
  });

  it('a failed check stops the workflow with its figures: the disk is never imaged', async () => {
    const h = harness([{ ...memtest, minMBps: 1e12 }, img]);
    const out = await h.run();
    expect(out).toMatchObject({ ok: false, action: 0 });
    expect(h.events.at(-1)).toMatchObject({ action: 0, phase: 'Failed', message: expect.stringMatching(/^action "memory" \(memtest\) failed: memtest: [\d.]+ MB\/s is below minMBps 1000000000000; 4 MiB tested/) });
    expect(h.events.some((e) => e.action === 1)).toBe(false);
  });

  it('a disktest whose disk is not there fails naming it', async () => {
    const h = harness([{ ...disktest, disk: { serial: 'NOPE' } }]);
    await h.run();
    expect(h.events.at(-1)).toMatchObject({ phase: 'Failed', message: expect.stringMatching(/^action "disk" \(disktest\) failed: no disk for serial "NOPE": not present/) });
  });
});
