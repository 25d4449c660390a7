import { existsSync } from 'node:fs';
import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Static } from 'typebox';
import type { Disk } from '../../core/model/hardware.ts';
import type { EfiBootOrderAction } from '../../core/model/template.ts';
import { deviceGeometry } from './block-device.ts';
import { selectDisk } from './disk-select.ts';
import { devicePathText, EfiDecodeError, PNP0A03, type DevicePath } from './efi-device-path.ts';
import { ESP_TYPE_GUID, hardDriveOnDisk, pathStartsAtPci, readPartitionTable, readPciLocation, type PartitionTableIdentity, type PciLocation } from './efi-disk.ts';
import {
  BOOT_VARIABLE_ATTRIBUTES,
  bootOptionName,
  bootOptionNumber,
  decodeBootOrder,
  decodeEfivarfsFile,
  decodeLoadOption,
  decodeUint16Variable,
  EFI_GLOBAL_VARIABLE,
  encodeBootOrder,
  encodeEfivarfsFile,
  encodeLoadOption,
  formatBootOrder,
  LOAD_OPTION_ACTIVE,
  LOAD_OPTION_CATEGORY_APP,
  type LoadOption,
} from './efi-load-option.ts';
import { mustRun, type Exec } from './exec.ts';
import { guidToBytes } from './partition-table.ts';

/**
 * The efibootorder action (UEFI only). A provisioned machine still boots from the network
 * first so the control plane decides its fate (DESIGN.md §2); on a local boot iPXE hands back
 * to the firmware (`exit 1`), which tries its next boot option. Firmware often lists IPv6 PXE
 * and HTTP boot before the disk (OVMF: about 80 s of timeouts), so, as OS installers do, this
 * writes BootOrder = [BootCurrent (the network option that booted the agent), the disk's
 * options, everything else in its old order], creating an option for the disk if there is none.
 */

type Action = Static<typeof EfiBootOrderAction>;

export interface EfiBootOrderDeps {
  disks: readonly Disk[];
  exec: Exec;
  /** /sys/firmware/efi: present only when the kernel was started by UEFI firmware. */
  efiDir?: string;
  /** /sys: /sys/block/NAME/device leads to the disk's PCI device. */
  sysfs?: string;
  /** /proc/self/mounts: is efivarfs mounted? */
  mountsFile?: string;
  /** process.arch: the removable-media file name of a created option (BOOTX64.EFI, BOOTAA64.EFI). */
  arch?: string;
}

/** What the firmware's variables say about booting. */
export interface BootState {
  current: number;
  order: number[];
  /** Every Boot#### variable, decoded (or why it could not be). */
  options: Map<number, LoadOption | EfiDecodeError>;
}

export type BootOrderPlan =
  | { ok: true; order: number[]; diskOptions: number[]; create?: { number: number; option: LoadOption }; changed: boolean }
  | { ok: false; error: string };

const isLoadOption = (o: LoadOption | EfiDecodeError | undefined): o is LoadOption => !!o && !(o instanceof EfiDecodeError);

/** An option the boot manager would try for the disk: active, a boot option (not an application), naming the disk. */
function bootsDisk(o: LoadOption | EfiDecodeError | undefined, isDisk: (o: LoadOption) => boolean): boolean {
  return isLoadOption(o) && (o.attributes & LOAD_OPTION_ACTIVE) !== 0 && (o.attributes & LOAD_OPTION_CATEGORY_APP) === 0 && isDisk(o);
}

function firstFreeNumber(s: BootState): number | undefined {
  for (let n = 0; n <= 0xffff; n++) if (!s.options.has(n) && !s.order.includes(n) && n !== s.current) return n;
  return undefined;
}

/**
 * The new BootOrder: BootCurrent, then the disk's active options (in their old order, then any
 * not listed in BootOrder by number), then the rest in their old order. Refuses when BootCurrent
 * is itself the disk: putting it first would take the boot decision away from the control plane.
 */
export function planBootOrder(s: BootState, isDisk: (o: LoadOption) => boolean, newOption: () => LoadOption | string): BootOrderPlan {
  const listed = [...new Set(s.order)];
  const unlisted = [...s.options.keys()].filter((n) => !listed.includes(n)).sort((a, b) => a - b);
  let diskOptions = [...listed, ...unlisted].filter((n) => bootsDisk(s.options.get(n), isDisk));
  if (diskOptions.includes(s.current)) {
    return { ok: false, error: `BootCurrent is ${bootOptionName(s.current)}, an option of the target disk itself: the agent was not booted from the network, so there is no network option to keep first` };
  }
  let create: { number: number; option: LoadOption } | undefined;
  if (diskOptions.length === 0) {
    const option = newOption();
    if (typeof option === 'string') return { ok: false, error: option };
    const number = firstFreeNumber(s);
    if (number === undefined) return { ok: false, error: 'every Boot#### number from 0000 to FFFF is taken' };
    create = { number, option };
    diskOptions = [number];
  }
  const order = [s.current, ...diskOptions, ...listed.filter((n) => n !== s.current && !diskOptions.includes(n))];
  const changed = order.length !== s.order.length || order.some((n, i) => n !== s.order[i]);
  return { ok: true, order, diskOptions, create, changed };
}

/** The disk as boot options name it: its PCI controller and its partition table. */
export interface DiskIdentity {
  path: string;
  pci: PciLocation | string;
  table: PartitionTableIdentity;
}

/**
 * Does an option boot this disk? A path from PciRoot through exactly the disk's Pci() nodes (the
 * firmware's removable-media option, or a full path; any Hard Drive node in it must be one of the
 * disk's partitions), or a short-form path starting with a Hard Drive node naming one of them.
 * Not told apart: two disks behind the same controller (SATA ports, NVMe namespaces) when the
 * option has no Hard Drive node.
 */
export function optionBootsDisk(o: LoadOption, disk: DiskIdentity): boolean {
  const path = o.filePaths[0];
  if (!path?.length) return false;
  if (path[0].kind === 'hd') return hardDriveOnDisk(path[0], disk.table);
  if (typeof disk.pci === 'string' || !pathStartsAtPci(path, disk.pci)) return false;
  return path.every((n) => n.kind !== 'hd' || hardDriveOnDisk(n, disk.table));
}

/** \EFI\BOOT\BOOT{arch}.EFI, the file firmware boots from removable media (UEFI 2.10 §3.5.1.1). */
export function removableMediaFile(arch: string): string | undefined {
  const names: Record<string, string> = { x64: 'BOOTX64.EFI', arm64: 'BOOTAA64.EFI', ia32: 'BOOTIA32.EFI', riscv64: 'BOOTRISCV64.EFI' };
  return names[arch] ? `\\EFI\\BOOT\\${names[arch]}` : undefined;
}

/**
 * The option created when the firmware has none for the disk. With a GPT ESP: the short-form
 * HD(ESP)/\EFI\BOOT\BOOTX64.EFI that grub-install and efibootmgr write, which every UEFI boot
 * manager must expand (§3.1.2) and which needs no controller-specific nodes (Sata, NVMe). Without
 * one: the controller's PCI path alone, like the firmware's own removable-media option.
 */
export function newDiskOption(disk: DiskIdentity, arch: string): LoadOption | string {
  const description = `Dragonfly: ${disk.path}`;
  const esp = disk.table.table === 'gpt' ? disk.table.partitions.find((p) => p.typeGuid === ESP_TYPE_GUID) : undefined;
  const file = removableMediaFile(arch);
  let path: DevicePath | undefined;
  if (esp && file) {
    const hd = { kind: 'hd', partition: esp.number, startLba: esp.firstLba, sizeLba: esp.lastLba - esp.firstLba + 1n, signature: guidToBytes(esp.uniqueGuid), format: 2, signatureType: 2 } as const;
    path = [hd, { kind: 'file', path: file }];
  } else if (typeof disk.pci !== 'string') {
    const uid = disk.pci.rootUid ?? (disk.pci.segment === 0 && disk.pci.rootBus === 0 ? 0 : undefined);
    if (uid !== undefined) path = [{ kind: 'acpi', hid: PNP0A03, uid }, ...disk.pci.path.map((p) => ({ kind: 'pci' as const, ...p }))];
  }
  if (!path) {
    const why = [esp ? `no removable-media file name for architecture ${arch}` : `no GPT EFI System Partition (${disk.table.table === 'none' ? disk.table.why : `${disk.table.table} table`})`, typeof disk.pci === 'string' ? disk.pci : `the ACPI _UID of host bridge ${disk.pci.address} is unknown`];
    return `the firmware has no boot option for ${disk.path} and one cannot be made: ${why.join('; ')}`;
  }
  return { attributes: LOAD_OPTION_ACTIVE, description, filePaths: [path], optionalData: new Uint8Array(0) };
}

const fileOf = (vars: string, name: string) => join(vars, `${name}-${EFI_GLOBAL_VARIABLE}`);

async function readVariable(vars: string, name: string): Promise<Uint8Array | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(fileOf(vars, name));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${name}: cannot read ${fileOf(vars, name)}: ${(e as Error).message}`, { cause: e });
  }
  const v = decodeEfivarfsFile(name, bytes);
  if (v instanceof EfiDecodeError) throw new Error(v.message);
  return v.data;
}

/** Reads BootCurrent, BootOrder and every Boot#### from an efivarfs directory. */
export async function readBootState(vars: string): Promise<BootState> {
  const suffix = `-${EFI_GLOBAL_VARIABLE}`;
  const names = (await readdir(vars)).filter((f) => f.endsWith(suffix)).map((f) => f.slice(0, -suffix.length));
  const currentBytes = await readVariable(vars, 'BootCurrent');
  if (!currentBytes) throw new Error('BootCurrent: not set, so the firmware does not say which boot option started the agent (the network option to keep first)');
  const current = decodeUint16Variable('BootCurrent', currentBytes);
  if (current instanceof EfiDecodeError) throw new Error(current.message);
  const orderBytes = await readVariable(vars, 'BootOrder');
  const order = orderBytes ? decodeBootOrder(orderBytes) : [];
  if (order instanceof EfiDecodeError) throw new Error(order.message);
  const options = new Map<number, LoadOption | EfiDecodeError>();
  for (const name of names) {
    const n = bootOptionNumber(name);
    if (n === undefined) continue;
    const data = await readVariable(vars, name);
    if (data) options.set(n, decodeLoadOption(data));
  }
  return { current, order, options };
}

/** Why efivarfs refused a write, in words (fs/efivarfs/file.c and the firmware's SetVariable statuses). */
function writeFailure(code: string | undefined): string {
  const why: Record<string, string> = {
    EPERM: 'the file is immutable (efivarfs marks variables it does not know so; `chattr -i` clears it, and this agent image has no chattr)',
    EACCES: 'permission denied',
    EINVAL: 'the kernel or the firmware rejected the value as malformed',
    ENOSPC: "the firmware's variable store is full",
    EIO: 'the firmware reported a hardware error',
    EROFS: 'efivarfs is mounted read-only',
  };
  return code && why[code] ? `${code}: ${why[code]}` : (code ?? 'unknown error');
}

/** One write(2) of attributes + data: efivarfs takes a variable whole, never in pieces. */
export async function writeVariable(vars: string, name: string, data: Uint8Array): Promise<void> {
  const file = fileOf(vars, name);
  const bytes = encodeEfivarfsFile({ attributes: BOOT_VARIABLE_ATTRIBUTES, data });
  try {
    const fh = await open(file, 'w');
    try {
      const { bytesWritten } = await fh.write(bytes, 0, bytes.length);
      if (bytesWritten !== bytes.length) throw new Error(`wrote ${bytesWritten} of ${bytes.length} bytes`);
    } finally {
      await fh.close();
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`${name}: cannot write ${file}: ${err.code ? writeFailure(err.code) : err.message}`, { cause: e });
  }
}

/** Mounts efivarfs on DIR unless /proc/self/mounts shows it there (the agent's /init normally has). */
async function ensureEfivarfs(dir: string, mountsFile: string, exec: Exec): Promise<void> {
  const mounts = await readFile(mountsFile, 'utf8').catch(() => '');
  if (mounts.split('\n').some((l) => l.split(' ')[1] === dir && l.split(' ')[2] === 'efivarfs')) return;
  await mustRun(exec, 'mount', ['-t', 'efivarfs', 'efivarfs', dir]);
}

function describeOption(s: BootState, n: number): string {
  const o = s.options.get(n);
  if (!o) return `${bootOptionName(n)} (no such variable)`;
  if (o instanceof EfiDecodeError) return `${bootOptionName(n)} (undecodable: ${o.message})`;
  return `${bootOptionName(n)} "${o.description}" ${o.filePaths[0] ? devicePathText(o.filePaths[0]) : ''}`.trimEnd();
}

/** Runs the action; resolves with what it did, for the log and the action's status message. */
export async function runEfiBootOrder(a: Action, deps: EfiBootOrderDeps): Promise<string> {
  const efiDir = deps.efiDir ?? '/sys/firmware/efi';
  if (!existsSync(efiDir)) return `no ${efiDir}: this machine booted in BIOS mode, which has no UEFI boot order; nothing to do`;
  const chosen = selectDisk(deps.disks, a.disk);
  if (!chosen.ok) throw new Error(chosen.error);
  const disk = chosen.disk;
  const vars = join(efiDir, 'efivars');
  await ensureEfivarfs(vars, deps.mountsFile ?? '/proc/self/mounts', deps.exec);
  const state = await readBootState(vars);
  const identity: DiskIdentity = {
    path: disk.path,
    pci: await readPciLocation(deps.sysfs ?? '/sys', disk.name),
    table: await readPartitionTable(disk.path, deviceGeometry(disk.path).sectorSize).catch((e: Error): PartitionTableIdentity => ({ table: 'none', why: e.message })),
  };
  const plan = planBootOrder(state, (o) => optionBootsDisk(o, identity), () => newDiskOption(identity, deps.arch ?? process.arch));
  if (!plan.ok) throw new Error(plan.error);
  const notes: string[] = [];
  if (plan.create) {
    await writeVariable(vars, bootOptionName(plan.create.number), encodeLoadOption(plan.create.option));
    state.options.set(plan.create.number, plan.create.option);
    notes.push(`created ${describeOption(state, plan.create.number)}`);
  }
  const head = `first ${describeOption(state, state.current)} (booted this agent), then ${disk.path}: ${plan.diskOptions.map((n) => describeOption(state, n)).join(', ')}`;
  if (!plan.changed) return [`BootOrder ${formatBootOrder(state.order)} already starts so: ${head}`, ...notes].join('; ');
  await writeVariable(vars, 'BootOrder', encodeBootOrder(plan.order));
  const back = await readVariable(vars, 'BootOrder');
  const backOrder = back ? decodeBootOrder(back) : [];
  if (backOrder instanceof EfiDecodeError || formatBootOrder(backOrder) !== formatBootOrder(plan.order)) {
    throw new Error(`BootOrder: wrote ${formatBootOrder(plan.order)} but it reads back as ${backOrder instanceof EfiDecodeError ? backOrder.message : formatBootOrder(backOrder)}`);
  }
  return [`BootOrder ${formatBootOrder(state.order)} -> ${formatBootOrder(plan.order)}: ${head}`, ...notes].join('; ');
}
