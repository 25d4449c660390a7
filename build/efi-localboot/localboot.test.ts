import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { describeWithPeers } from '../../core/testing/peers.ts';

// Our UEFI disk loader (localboot.c): the shipped binary is the one its source builds, and
// under real OVMF it starts a disk's loader, and hands back to the firmware when none starts.
const here = fileURLToPath(new URL('.', import.meta.url));
const shipped = join(here, '../../assets/localboot/dragonfly-localboot.efi');
const ipxe = join(here, '../../assets/ipxe/snponly.efi');
const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
const gnuEfi = { ok: existsSync('/usr/lib/libgnuefi.a') && existsSync('/usr/include/efi/efi.h'), why: 'gnu-efi missing: apt-get install gnu-efi' };
const ovmf = { ok: existsSync(OVMF_CODE) && existsSync(OVMF_VARS), why: `${OVMF_CODE} missing: apt-get install ovmf` };
const work = mkdtempSync(join(tmpdir(), 'df-localboot-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** OVMF's terminal escapes (screen clears, cursor moves), built from a string: no control character in a regex literal. */
const TERMINAL_ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;=?]*[A-Za-z]`, 'g');

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describeWithPeers(['gcc', gnuEfi], 'dragonfly-localboot.efi rebuilt from its source', () => {
  it('gives the very bytes shipped in assets/localboot (the sha256 its README records)', () => {
    const out = join(work, 'rebuilt.efi');
    const r = spawnSync('bash', [join(here, 'build.sh'), out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(sha256(out)).toBe(sha256(shipped));
    const readme = readFileSync(join(here, '../../assets/localboot/README.md'), 'utf8');
    expect(readme).toContain(sha256(shipped));
  }, 120_000);
});

/** A FAT volume (QEMU vvfat, read-only) holding one file as its removable-media loader. */
function volume(name: string, loader: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'EFI/BOOT'), { recursive: true });
  copyFileSync(loader, join(dir, 'EFI/BOOT/BOOTX64.EFI'));
  return dir;
}

/** A volume with its QEMU bootindex; null: none (OVMF then connects no driver to that disk). */
interface Volume {
  dir: string;
  bootindex?: number | null;
}

let varsCount = 0;
/** A new copy of OVMF's empty variable store (boot entries, BootOrder). */
function freshVars(): string {
  const vars = join(work, `vars-${++varsCount}.fd`);
  copyFileSync(OVMF_VARS, vars);
  return vars;
}

/**
 * Boots OVMF (no NIC) with these volumes, first to last by bootindex, and returns its console
 * from power-on to the first line matching `until` (the firmware going on past our loader).
 */
function bootUntil(volumes: Array<string | Volume>, until: RegExp, timeoutMs: number, vars = freshVars()): Promise<string> {
  const args = ['-machine', 'q35', '-m', '256', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-net', 'none', '-no-reboot'];
  args.push('-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`, '-drive', `if=pflash,format=raw,file=${vars}`);
  volumes.forEach((v, i) => {
    const { dir, bootindex = i } = typeof v === 'string' ? { dir: v } : v;
    // PCI slots by position, the same at every boot of a test.
    const device = `virtio-blk-pci,drive=v${i},addr=${(4 + i).toString(16)}${bootindex === null ? '' : `,bootindex=${bootindex}`}`;
    args.push('-drive', `file=fat:${dir},format=raw,if=none,id=v${i},readonly=on`, '-device', device);
  });
  const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let console = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no line matching ${until} within ${timeoutMs / 1000} s; console:\n${console}`)), timeoutMs);
    const done = (err?: Error) => {
      clearTimeout(timer);
      qemu.kill('SIGKILL');
      if (err) reject(err);
      else resolve(console);
    };
    qemu.stdout.on('data', (b: Buffer) => {
      console += b.toString('latin1').replace(/\r/g, '');
      if (until.test(console)) done();
    });
    qemu.stderr.on('data', (b: Buffer) => (console += b.toString('latin1')));
    qemu.on('exit', (code) => done(new Error(`QEMU exited (${code}) before ${until}; console:\n${console}`)));
  });
}

/** The lines of the console that match, in order (to check what happened in which order). */
const linesMatching = (console: string, re: RegExp) =>
  console
    .replace(TERMINAL_ESCAPE, '')
    .split('\n')
    .filter((l) => re.test(l))
    .map((l) => l.trim());

describeWithPeers(['qemu-system-x86_64', ovmf], 'dragonfly-localboot.efi under OVMF (TCG, about 10-30 s per boot)', () => {
  it('skips its own volume, starts the next disk loader; when that returns, says so and the firmware goes on', async () => {
    // The "disk" loader is iPXE: with no NIC it prints its banner and returns, as a failing OS loader would.
    const console = await bootUntil([volume('own', shipped), volume('disk', ipxe)], /BdsDxe: loading Boot0002 [^\n]*\n/, 300_000);
    expect(linesMatching(console, /dragonfly-localboot|iPXE initialising|BdsDxe: (failed to start|loading) Boot000[12]/)).toEqual([
      expect.stringMatching(/^BdsDxe: loading Boot0001 /),
      'dragonfly-localboot: starting \\EFI\\BOOT\\BOOTX64.EFI',
      'iPXE initialising devices...',
      expect.stringMatching(/dragonfly-localboot: \\EFI\\BOOT\\BOOTX64\.EFI returned \(/),
      "dragonfly-localboot: the disk's loader returned, back to the firmware",
      expect.stringMatching(/^BdsDxe: failed to start Boot0001 .*: Not Found$/),
      expect.stringMatching(/^BdsDxe: loading Boot0002 /),
    ]);
  }, 330_000);

  it("starts the firmware's BootOrder entry for a file on a partition (an installed OS's own entry, no removable path)", async () => {
    // First boot: OVMF's shell runs startup.nsh from the disk, which registers the entry as an
    // OS installer would (bcfg) and powers off. Second boot: our loader first.
    const disk = join(work, 'installed');
    mkdirSync(join(disk, 'EFI/installed'), { recursive: true });
    copyFileSync(ipxe, join(disk, 'EFI/installed/os.efi'));
    writeFileSync(join(disk, 'startup.nsh'), 'bcfg boot add 0 fs0:\\EFI\\installed\\os.efi "Installed OS"\r\nreset -s\r\n');
    const vars = freshVars();
    await bootUntil([{ dir: disk, bootindex: null }], /bcfg: Add Boot\d+ as 0/, 300_000, vars);
    const console = await bootUntil([volume('own-bo', shipped), { dir: disk, bootindex: 1 }], /dragonfly-localboot: the disk's loader returned[^\n]*\n/, 300_000, vars);
    expect(linesMatching(console, /dragonfly-localboot|iPXE initialising/)).toEqual([
      'dragonfly-localboot: starting Installed OS',
      'iPXE initialising devices...',
      expect.stringMatching(/dragonfly-localboot: Installed OS returned \(/),
      "dragonfly-localboot: the disk's loader returned, back to the firmware",
    ]);
  }, 630_000);

  it('finds a disk the firmware did not connect (no bootindex: OVMF connects only the devices QEMU names)', async () => {
    const console = await bootUntil([volume('own-nc', shipped), { dir: volume('unconnected', ipxe), bootindex: null }], /dragonfly-localboot: the disk's loader returned[^\n]*\n/, 300_000);
    expect(linesMatching(console, /dragonfly-localboot: (starting|no bootable)/)).toEqual(['dragonfly-localboot: starting \\EFI\\BOOT\\BOOTX64.EFI']);
  }, 330_000);

  it('with no bootable disk: one clear line, an error to the firmware, which goes on to its next option', async () => {
    const console = await bootUntil([volume('alone', shipped)], /BdsDxe: loading Boot0002 [^\n]*\n/, 300_000);
    expect(linesMatching(console, /dragonfly-localboot|BdsDxe: (failed to start|loading) Boot000[12]/)).toEqual([
      expect.stringMatching(/^BdsDxe: loading Boot0001 /),
      'dragonfly-localboot: no bootable disk found (1 file systems), back to the firmware',
      expect.stringMatching(/^BdsDxe: failed to start Boot0001 .*: Not Found$/),
      expect.stringMatching(/^BdsDxe: loading Boot0002 /),
    ]);
  }, 330_000);
});
