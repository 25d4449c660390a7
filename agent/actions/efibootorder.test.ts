import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Disk } from '../../core/model/hardware.ts';
import type { EfiBootOrderAction } from '../../core/model/template.ts';
import type { Static } from 'typebox';
import { PNP0A03, type DevicePath } from './efi-device-path.ts';
import { pathStartsAtPci, pciLocationOf, readPartitionTable } from './efi-disk.ts';
import { encodeLoadOption, LOAD_OPTION_ACTIVE } from './efi-load-option.ts';
import { newDiskOption, runEfiBootOrder, type EfiBootOrderDeps } from './efibootorder.ts';
import type { Exec } from './exec.ts';
import { MiB, planLayout } from './partition-layout.ts';
import { encodeGpt } from './partition-table.ts';
import { ovmfBootVariables, ovmfStoredDragonflyOption } from './testing/ovmf-boot-variables.ts';

const GUID = '8be4df61-93ca-11d2-aa0d-00e098032b8c';
const root = mkdtempSync(join(tmpdir(), 'dfx-efiboot-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// The target: a 64 MiB disk laid out like the lab image (1: BIOS boot, 2: ESP, 3: root).
const ESP_GUID = '0FB1A7E2-5C1D-4E8A-9B3F-2D6C8E4A1B70';
const diskFile = join(root, 'vda.img');
{
  const plan = planLayout('gpt', [{ label: 'bios', role: 'bios-boot', sizeMiB: 1 }, { label: 'esp', role: 'esp', sizeMiB: 16 }, { label: 'root', role: 'root', sizeMiB: 0 }], 64 * MiB);
  if (!plan.ok) throw new Error(plan.error);
  writeFileSync(diskFile, '');
  truncateSync(diskFile, 64 * MiB);
  const fd = openSync(diskFile, 'r+');
  for (const w of encodeGpt(plan.layout, { disk: '11111111-2222-4333-8444-555555555555', partitions: ['AAAAAAAA-0000-4000-8000-000000000001', ESP_GUID, 'AAAAAAAA-0000-4000-8000-000000000003'] })) writeSync(fd, w.bytes, 0, w.bytes.length, w.offset);
  closeSync(fd);
}
const disks: Disk[] = [
  { name: 'vda', path: diskFile, sizeBytes: 64 * MiB, serial: 'dfp-disk' },
  { name: 'vdb', path: join(root, 'vdb.img'), sizeBytes: 64 * MiB, serial: 'other' },
];

// sysfs as the kernel lays it out for virtio disks at 00:04.0 (vda) and 00:05.0 (vdb) on host bridge _UID 0.
const sys = join(root, 'sys');
mkdirSync(join(sys, 'devices/pci0000:00/0000:00:04.0/virtio1'), { recursive: true });
mkdirSync(join(sys, 'devices/pci0000:00/0000:00:05.0/virtio2'), { recursive: true });
mkdirSync(join(sys, 'devices/LNXSYSTM:00/LNXSYBUS:00/PNP0A03:00'), { recursive: true });
writeFileSync(join(sys, 'devices/LNXSYSTM:00/LNXSYBUS:00/PNP0A03:00/uid'), '0\n');
symlinkSync('../../LNXSYSTM:00/LNXSYBUS:00/PNP0A03:00', join(sys, 'devices/pci0000:00/firmware_node'));
for (const [name, dev] of [['vda', '0000:00:04.0/virtio1'], ['vdb', '0000:00:05.0/virtio2']]) {
  mkdirSync(join(sys, 'block', name), { recursive: true });
  symlinkSync(`../../devices/pci0000:00/${dev}`, join(sys, 'block', name, 'device'));
}

const acpi = { kind: 'acpi', hid: PNP0A03, uid: 0 } as const;
const pci = (device: number) => ({ kind: 'pci', device, function: 0 }) as const;
const mac = { kind: 'mac', address: Uint8Array.from([0x52, 0x54, 0, 0x12, 0x34, 0x56, ...new Array(26).fill(0)]), ifType: 1 } as const;
const raw = (type: number, subType: number, hex: string) => ({ kind: 'raw', type, subType, data: Uint8Array.from(Buffer.from(hex, 'hex')) }) as const;
const option = (description: string, path: DevicePath, attributes = LOAD_OPTION_ACTIVE) => encodeLoadOption({ attributes, description, filePaths: [path], optionalData: new Uint8Array(0) });

/** What OVMF shows in the lab: PXEv4, PXEv6, HTTPv4, HTTPv6 on the NIC at 00:03.0, the disk, the shell. */
const ovmf = {
  Boot0001: option('UEFI PXEv4 (MAC:525400123456)', [acpi, pci(3), mac, raw(3, 12, '00'.repeat(23))]),
  Boot0002: option('UEFI PXEv6 (MAC:525400123456)', [acpi, pci(3), mac, raw(3, 13, '00'.repeat(39))]),
  Boot0003: option('UEFI HTTPv4 (MAC:525400123456)', [acpi, pci(3), mac, raw(3, 12, '00'.repeat(23)), raw(3, 24, '')]),
  Boot0004: option('UEFI HTTPv6 (MAC:525400123456)', [acpi, pci(3), mac, raw(3, 13, '00'.repeat(39)), raw(3, 24, '')]),
  Boot0000: option('UEFI Misc Device', [acpi, pci(4)]),
  Boot0005: option('EFI Internal Shell', [raw(4, 7, '00'.repeat(16)), raw(4, 6, '00'.repeat(16))]),
};

let n = 0;
interface Fake {
  efi: string;
  vars: string;
  mounts: string;
  log: string[];
  deps: (over?: Partial<EfiBootOrderDeps>) => EfiBootOrderDeps;
  file: (name: string) => string;
  read: (name: string) => string | undefined;
}

/** A fresh fake efivarfs: each variable a file NAME-GUID holding 4 attribute bytes (0x7) and the data. */
function fake(vars: Record<string, Uint8Array>, mounted = true): Fake {
  const efi = join(root, `efi-${++n}`);
  const dir = join(efi, 'efivars');
  mkdirSync(dir, { recursive: true });
  const file = (name: string) => join(dir, `${name}-${GUID}`);
  for (const [name, data] of Object.entries(vars)) writeFileSync(file(name), Buffer.concat([Buffer.from([7, 0, 0, 0]), data]));
  const mounts = join(root, `mounts-${n}`);
  writeFileSync(mounts, `sysfs /sys sysfs rw 0 0\n${mounted ? `efivarfs ${dir} efivarfs rw,nosuid,nodev,noexec,relatime 0 0\n` : ''}`);
  const log: string[] = [];
  const exec: Exec = async (f, args) => {
    log.push([f, ...args].join(' '));
    return { code: 0, stdout: '', stderr: '' };
  };
  const read = (name: string) => {
    try {
      return readFileSync(file(name)).toString('hex');
    } catch {
      return undefined;
    }
  };
  return { efi, vars: dir, mounts, log, file, read, deps: (over = {}) => ({ disks, exec, efiDir: efi, sysfs: sys, mountsFile: mounts, arch: 'x64', ...over }) };
}

const u16 = (...ns: number[]) => Buffer.from(ns.flatMap((x) => [x & 0xff, x >> 8]));
const action: Static<typeof EfiBootOrderAction> = { name: 'boot-order', type: 'efibootorder', disk: { serial: 'dfp-disk' } };

describe('efibootorder on a fake efivarfs', () => {
  let f: Fake;
  beforeEach(() => {
    f = fake({ ...ovmf, BootOrder: u16(1, 2, 3, 4, 0, 5), BootCurrent: u16(1) });
  });

  it('OVMF lab order: keeps the PXEv4 option that booted the agent first, moves the disk right after it', async () => {
    const msg = await runEfiBootOrder(action, f.deps());
    // attributes NV|BS|RT, then 0001 0000 0002 0003 0004 0005 as little-endian UINT16s
    expect(f.read('BootOrder')).toBe('07000000' + '0100' + '0000' + '0200' + '0300' + '0400' + '0500');
    expect(msg).toBe(
      'BootOrder 0001,0002,0003,0004,0000,0005 -> 0001,0000,0002,0003,0004,0005: first Boot0001 "UEFI PXEv4 (MAC:525400123456)" ' +
        `PciRoot(0x0)/Pci(0x3,0x0)/MAC(525400123456,0x1)/Path(3,12,${'0'.repeat(46)}) (booted this agent), then ${diskFile}: Boot0000 "UEFI Misc Device" PciRoot(0x0)/Pci(0x4,0x0)`,
    );
    for (const [name, data] of Object.entries(ovmf)) expect(f.read(name)).toBe('07000000' + data.toString('hex')); // options untouched
    expect(f.log).toEqual([]); // efivarfs was mounted: no mount
  });

  it('the same on the variables captured from OVMF (the disk is Boot0001 there)', async () => {
    const g = fake({ ...Object.fromEntries(Object.entries(ovmfBootVariables).map(([k, v]) => [k, Buffer.from(v, 'hex')])), BootCurrent: u16(2) });
    const msg = await runEfiBootOrder(action, g.deps());
    expect(g.read('BootOrder')).toBe('07000000' + [2, 1, 3, 4, 5, 0, 6].map((x) => u16(x).toString('hex')).join(''));
    expect(msg).toMatch(/^BootOrder 0002,0003,0004,0005,0001,0000,0006 -> 0002,0001,0003,0004,0005,0000,0006: first Boot0002 "UEFI PXEv4 \(MAC:525400123456\)" .* then .*: Boot0001 "UEFI Misc Device" PciRoot\(0x0\)\/Pci\(0x4,0x0\)$/);
  });

  it('a created option is the very bytes OVMF stored when the agent kernel wrote one for the lab disk', () => {
    const esp = { number: 2, typeGuid: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', uniqueGuid: '550BCF62-B541-48E0-9F63-402D98298929', firstLba: 0x1000n, lastLba: 0x1000n + 0x1efdfn - 1n };
    const made = newDiskOption({ path: '/dev/vda', pci: 'not used', table: { table: 'gpt', diskGuid: '', partitions: [esp] } }, 'x64');
    expect(typeof made !== 'string' && encodeLoadOption(made).toString('hex')).toBe(ovmfStoredDragonflyOption);
  });

  it('leaves BootOrder alone (no write) when it already starts so', async () => {
    writeFileSync(f.file('BootOrder'), Buffer.concat([Buffer.from([7, 0, 0, 0]), u16(1, 0, 2, 3, 4, 5)]));
    const before = statSync(f.file('BootOrder')).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    const msg = await runEfiBootOrder(action, f.deps());
    expect(msg).toMatch(/^BootOrder 0001,0000,0002,0003,0004,0005 already starts so: first Boot0001/);
    expect(statSync(f.file('BootOrder')).mtimeMs).toBe(before);
  });

  it('creates a disk option when the firmware has none: HD(ESP)/\\EFI\\BOOT\\BOOTX64.EFI, first free number', async () => {
    const g = fake({ Boot0001: ovmf.Boot0001, Boot0002: ovmf.Boot0002, Boot0005: ovmf.Boot0005, BootOrder: u16(1, 2, 5), BootCurrent: u16(1) });
    const msg = await runEfiBootOrder(action, g.deps());
    // EFI_LOAD_OPTION by hand from the spec: ACTIVE, FilePathListLength 42 + 48 + 4, description, HD, File, End
    const desc = Buffer.concat([Buffer.from(`Dragonfly: ${diskFile}`, 'utf16le'), Buffer.alloc(2)]).toString('hex');
    const fileNode = Buffer.concat([Buffer.from('\\EFI\\BOOT\\BOOTX64.EFI', 'utf16le'), Buffer.alloc(2)]).toString('hex');
    const expected =
      '07000000' + // efivarfs attributes
      '01000000' + // LOAD_OPTION_ACTIVE
      '5e00' + // 42 + (4 + 2 * 22) + 4 = 94
      desc +
      '04012a00' + // Hard Drive node, 42 bytes
      '02000000' + // partition 2 (the ESP)
      '0010000000000000' + // start LBA 4096 (2 MiB)
      '0080000000000000' + // 32768 sectors (16 MiB)
      'e2a7b10f1d5c8a4e9b3f2d6c8e4a1b70' + // ESP unique GUID, mixed-endian
      '0202' + // GPT, GUID signature
      '04043000' + fileNode + // File Path node, 4 + 44 bytes
      '7fff0400';
    expect(g.read('Boot0000')).toBe(expected);
    expect(g.read('BootOrder')).toBe('07000000' + '0100' + '0000' + '0200' + '0500');
    expect(msg).toContain(`created Boot0000 "Dragonfly: ${diskFile}" HD(2,GPT,${ESP_GUID},0x1000,0x8000)/\\EFI\\BOOT\\BOOTX64.EFI`);
  });

  it('finds short-form HD() options of the disk too, keeps their order, and leaves a stale one (old partition GUID) with the rest', async () => {
    const hd = (guid: string) => ({ kind: 'hd', partition: 2, startLba: 4096n, sizeLba: 32768n, signature: Uint8Array.from(Buffer.from(guid.replace(/-/g, ''), 'hex')), format: 2, signatureType: 2 }) as const;
    // GUID bytes as stored: first three fields little-endian
    const stored = (g: string) => {
      const b = Buffer.from(g.replace(/-/g, ''), 'hex');
      b.subarray(0, 4).reverse();
      b.subarray(4, 6).reverse();
      b.subarray(6, 8).reverse();
      return b.toString('hex');
    };
    const debian = option('debian', [{ ...hd(ESP_GUID), signature: Uint8Array.from(Buffer.from(stored(ESP_GUID), 'hex')) }, { kind: 'file', path: '\\EFI\\debian\\shimx64.efi' }]);
    const stale = option('old os', [{ ...hd('DEADBEEF-0000-4000-8000-000000000000'), signature: Uint8Array.from(Buffer.from(stored('DEADBEEF-0000-4000-8000-000000000000'), 'hex')) }, { kind: 'file', path: '\\EFI\\old\\grubx64.efi' }]);
    const g = fake({ ...ovmf, Boot0007: debian, Boot0008: stale, BootOrder: u16(8, 1, 2, 7, 3, 4, 0, 5), BootCurrent: u16(1) });
    const msg = await runEfiBootOrder(action, g.deps());
    expect(g.read('BootOrder')).toBe('07000000' + [1, 7, 0, 8, 2, 3, 4, 5].map((x) => u16(x).toString('hex')).join(''));
    expect(msg).toMatch(/then .*: Boot0007 "debian" HD\(2,GPT,0FB1A7E2-.*, Boot0000 "UEFI Misc Device"/);
  });

  it('an inactive disk option does not count (the firmware skips it): a new one is made', async () => {
    const g = fake({ Boot0001: ovmf.Boot0001, Boot0000: option('UEFI Misc Device', [acpi, pci(4)], 0), BootOrder: u16(1, 0), BootCurrent: u16(1) });
    await runEfiBootOrder(action, g.deps());
    expect(g.read('BootOrder')).toBe('07000000' + '0100' + '0200' + '0000');
    expect(g.read('Boot0002')).toMatch(/^0700000001000000/);
  });

  it('the other disk (00:05.0) gets its own option moved, not vda\'s', async () => {
    const g = fake({ ...ovmf, Boot0006: option('UEFI Misc Device 2', [acpi, pci(5)]), BootOrder: u16(1, 2, 3, 4, 0, 6, 5), BootCurrent: u16(1) });
    writeFileSync(disks[1].path, Buffer.alloc(4096));
    await runEfiBootOrder({ ...action, disk: { serial: 'other' } }, g.deps());
    expect(g.read('BootOrder')).toBe('07000000' + [1, 6, 2, 3, 4, 0, 5].map((x) => u16(x).toString('hex')).join(''));
  });

  it('mounts efivarfs first when it is not mounted', async () => {
    const g = fake({ ...ovmf, BootOrder: u16(1, 2, 3, 4, 0, 5), BootCurrent: u16(1) }, false);
    await runEfiBootOrder(action, g.deps());
    expect(g.log).toEqual([`mount -t efivarfs efivarfs ${g.vars}`]);
    const h = fake({ BootCurrent: u16(1) }, false);
    const failing: Exec = async () => ({ code: 32, stdout: '', stderr: 'mount: mounting efivarfs on /sys/firmware/efi/efivars failed: No such device' });
    await expect(runEfiBootOrder(action, h.deps({ exec: failing }))).rejects.toThrow(`mount -t efivarfs efivarfs ${h.vars} exited with 32: mount: mounting efivarfs on /sys/firmware/efi/efivars failed: No such device`);
  });

  it('on a BIOS machine (no /sys/firmware/efi) succeeds doing nothing, and says so', async () => {
    const msg = await runEfiBootOrder(action, f.deps({ efiDir: join(root, 'no-such-efi') }));
    expect(msg).toBe(`no ${join(root, 'no-such-efi')}: this machine booted in BIOS mode, which has no UEFI boot order; nothing to do`);
    expect(f.read('BootOrder')).toBe('07000000' + '0100020003000400' + '00000500');
  });

  it('errors name the variable and the reason', async () => {
    const noCurrent = fake({ ...ovmf, BootOrder: u16(1, 0) });
    await expect(runEfiBootOrder(action, noCurrent.deps())).rejects.toThrow(/^BootCurrent: not set, so the firmware does not say which boot option started the agent/);
    const fromDisk = fake({ ...ovmf, BootOrder: u16(0, 1), BootCurrent: u16(0) });
    await expect(runEfiBootOrder(action, fromDisk.deps())).rejects.toThrow('BootCurrent is Boot0000, an option of the target disk itself');
    const oddOrder = fake({ ...ovmf, BootOrder: Buffer.from([1, 0, 2]), BootCurrent: u16(1) });
    await expect(runEfiBootOrder(action, oddOrder.deps())).rejects.toThrow('BootOrder is 3 bytes, not a whole number of UINT16');
    const shortFile = fake({ ...ovmf, BootCurrent: u16(1) });
    writeFileSync(shortFile.file('BootOrder'), Buffer.from([7, 0]));
    await expect(runEfiBootOrder(action, shortFile.deps())).rejects.toThrow('BootOrder: 2 bytes, shorter than the 4-byte attribute prefix');
    // a variable that cannot be read (a directory here: EISDIR)
    const unreadable = fake({ ...ovmf, BootCurrent: u16(1) });
    mkdirSync(unreadable.file('BootOrder'));
    await expect(runEfiBootOrder(action, unreadable.deps())).rejects.toThrow(/^BootOrder: cannot read .*BootOrder-8be4df61-93ca-11d2-aa0d-00e098032b8c: EISDIR/);
    // a write that fails (a dangling link: reads as absent, open() for writing fails with ENOENT)
    const refused = fake({ ...ovmf, BootCurrent: u16(1) });
    symlinkSync(join(root, 'no-such-dir', 'x'), refused.file('BootOrder'));
    await expect(runEfiBootOrder(action, refused.deps())).rejects.toThrow(/^BootOrder: cannot write .*BootOrder-8be4df61-93ca-11d2-aa0d-00e098032b8c: ENOENT$/);
    await expect(runEfiBootOrder({ ...action, disk: { serial: 'nope' } }, f.deps())).rejects.toThrow(/^no disk for serial "nope": not present/);
  });

  it('an undecodable Boot#### is kept in place, not mistaken for the disk', async () => {
    const g = fake({ ...ovmf, Boot0009: Buffer.from([1, 0, 0, 0, 0xff, 0]), BootOrder: u16(9, 1, 2, 3, 4, 0, 5), BootCurrent: u16(1) });
    await runEfiBootOrder(action, g.deps());
    expect(g.read('BootOrder')).toBe('07000000' + [1, 0, 9, 2, 3, 4, 5].map((x) => u16(x).toString('hex')).join(''));
  });
});

describe('the disk as device paths name it', () => {
  it('reads the PCI path of NVMe behind a bridge, SATA, and virtio from sysfs paths', () => {
    expect(pciLocationOf('/sys/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0')).toEqual({ address: '0000:3d:00.0', segment: 0, rootBus: 0, path: [{ device: 0x1d, function: 0 }, { device: 0, function: 0 }] });
    expect(pciLocationOf('/sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0')).toMatchObject({ address: '0000:00:1f.2', path: [{ device: 0x1f, function: 2 }] });
    expect(pciLocationOf('/sys/devices/pci0001:80/0001:80:02.0/virtio3')).toMatchObject({ segment: 1, rootBus: 0x80, path: [{ device: 2, function: 0 }] });
    expect(pciLocationOf('/sys/devices/platform/a003e00.virtio_mmio/virtio0')).toBeUndefined();
  });

  it('matches PciRoot(UID)/Pci()... exactly: the UID when known, every Pci() node, no more, no less', () => {
    const loc = { address: '0000:3d:00.0', segment: 0, rootBus: 0, rootUid: 0, path: [{ device: 0x1d, function: 0 }, { device: 0, function: 0 }] };
    const nvme = raw(3, 0x17, '01000000' + '00'.repeat(8));
    expect(pathStartsAtPci([acpi, pci(0x1d), pci(0), nvme], loc)).toBe(true);
    expect(pathStartsAtPci([{ ...acpi, hid: 0x0a0841d0 }, pci(0x1d), pci(0)], loc)).toBe(true); // PcieRoot
    expect(pathStartsAtPci([{ ...acpi, uid: 1 }, pci(0x1d), pci(0)], loc)).toBe(false);
    expect(pathStartsAtPci([{ ...acpi, uid: 1 }, pci(0x1d), pci(0)], { ...loc, rootUid: undefined })).toBe(true);
    expect(pathStartsAtPci([acpi, pci(0x1d)], loc)).toBe(false);
    expect(pathStartsAtPci([acpi, pci(0x1d), pci(0), pci(1)], loc)).toBe(false);
    expect(pathStartsAtPci([acpi, pci(0x1c), pci(0)], loc)).toBe(false);
  });

  it('reads the GPT (CRC-checked) of the disk, and reports a disk without one', async () => {
    const t = await readPartitionTable(diskFile, 512);
    expect(t.table === 'gpt' && t.partitions.map((p) => [p.number, p.uniqueGuid, p.firstLba])).toEqual([
      [1, 'AAAAAAAA-0000-4000-8000-000000000001', 2048n],
      [2, ESP_GUID, 4096n],
      [3, 'AAAAAAAA-0000-4000-8000-000000000003', 36864n],
    ]);
    const blank = join(root, 'blank.img');
    writeFileSync(blank, Buffer.alloc(8192));
    expect(await readPartitionTable(blank, 512)).toEqual({ table: 'none', why: 'no "EFI PART" signature at LBA 1' });
    const corrupt = join(root, 'corrupt.img');
    const bytes = readFileSync(diskFile).subarray(0, 64 * 1024);
    bytes[512 + 60] ^= 0xff; // a bit of the disk GUID
    writeFileSync(corrupt, bytes);
    expect(await readPartitionTable(corrupt, 512)).toMatchObject({ table: 'mbr' }); // the protective MBR is all that is left
  });
});
