import type { PartitionAction } from '../../core/model/template.ts';
import type { Static } from 'typebox';

type Action = Static<typeof PartitionAction>;
export type PartitionSpec = Action['partitions'][number];
export type PartitionRole = PartitionSpec['role'];
export type TableKind = Action['table'];

export const MiB = 1024 * 1024;
/** GPT partition entry array: 128 entries of 128 bytes (UEFI 2.10 §5.3.2, the minimum size). */
export const GPT_ENTRIES = 128;
export const GPT_ENTRY_SIZE = 128;

export interface PlannedPartition {
  /** 1-based, as the kernel names it (sda1, nvme0n1p1). */
  number: number;
  label: string;
  role: PartitionRole;
  firstLba: number;
  /** Inclusive, as GPT stores it. */
  lastLba: number;
}

export interface Layout {
  table: TableKind;
  /** Logical sector size in bytes (512, or 4096 on 4Kn disks). */
  sectorSize: number;
  totalSectors: number;
  partitions: PlannedPartition[];
}

export type PlanResult = { ok: true; layout: Layout } | { ok: false; error: string };

/** Sectors taken by the GPT entry array. */
export const gptEntrySectors = (sectorSize: number) => Math.ceil((GPT_ENTRIES * GPT_ENTRY_SIZE) / sectorSize);

/** The last sector a partition may use: GPT keeps its backup entries and header at the end (UEFI §5.3.2). */
export function lastUsableLba(table: TableKind, totalSectors: number, sectorSize: number): number {
  return table === 'gpt' ? totalSectors - 2 - gptEntrySectors(sectorSize) : totalSectors - 1;
}

/** MBR stores 32-bit sector numbers: beyond 2^32 sectors an MBR cannot describe a partition. */
const MBR_MAX_SECTOR = 0xffffffff;

/**
 * Places partitions one after another from 1 MiB, every start and size a multiple of 1 MiB
 * (the alignment every current partitioner uses, good for 4K sectors, RAID stripes and SSD pages).
 * sizeMiB 0 means "the rest of the disk"; at most one partition may ask for it.
 */
export function planLayout(table: TableKind, specs: readonly PartitionSpec[], diskBytes: number, sectorSize = 512): PlanResult {
  const fail = (error: string): PlanResult => ({ ok: false, error });
  if (sectorSize !== 512 && sectorSize !== 4096) return fail(`sector size ${sectorSize} bytes is not supported (512 or 4096)`);
  const totalSectors = Math.floor(diskBytes / sectorSize);
  const problem = tableProblem(table, specs);
  if (problem) return fail(problem);
  const align = MiB / sectorSize;
  let endSector = lastUsableLba(table, totalSectors, sectorSize) + 1;
  if (table === 'mbr') endSector = Math.min(endSector, MBR_MAX_SECTOR + 1);
  const capacityMiB = Math.floor(endSector / align);
  const fixedMiB = specs.reduce((s, p) => s + p.sizeMiB, 0);
  const rest = specs.filter((p) => p.sizeMiB === 0).length;
  const restMiB = capacityMiB - 1 - fixedMiB;
  if (rest === 0 && restMiB < 0) return fail(`the partitions need ${1 + fixedMiB} MiB but the disk has ${capacityMiB} MiB usable`);
  if (rest === 1 && restMiB < 1) return fail(`no room left for the rest-of-disk partition: the others need ${1 + fixedMiB} MiB of ${capacityMiB} MiB`);
  let next = align;
  const partitions = specs.map((p, i) => {
    const sectors = (p.sizeMiB === 0 ? restMiB : p.sizeMiB) * align;
    const planned = { number: i + 1, label: p.label, role: p.role, firstLba: next, lastLba: next + sectors - 1 };
    next += sectors;
    return planned;
  });
  return { ok: true, layout: { table, sectorSize, totalSectors, partitions } };
}

function tableProblem(table: TableKind, specs: readonly PartitionSpec[]): string | undefined {
  if (specs.length === 0) return 'no partitions given';
  if (specs.filter((p) => p.sizeMiB === 0).length > 1) return 'only one partition may take the rest of the disk (sizeMiB 0)';
  if (table === 'mbr' && specs.length > 4) return `an MBR holds 4 primary partitions, ${specs.length} were asked (use gpt)`;
  if (table === 'mbr' && specs.some((p) => p.role === 'bios-boot')) return 'bios-boot is a GPT role (GRUB core on GPT); an MBR disk needs none';
  if (table === 'gpt' && specs.length > GPT_ENTRIES) return `a GPT here holds ${GPT_ENTRIES} partitions, ${specs.length} were asked`;
  return undefined;
}
