import type { Hardware } from '../../../../core/model/hardware.ts';
import type { LifecycleState } from '../../../../core/model/lifecycle.ts';

/** What the toolbar narrows the machine list by. Empty text / 'all' = no narrowing. */
export interface MachineFilter {
  text: string;
  state: LifecycleState | 'all';
  tag: string | 'all';
}

export const noFilter: MachineFilter = { text: '', state: 'all', tag: 'all' };

export function machineState(hw: Hardware): LifecycleState {
  return hw.status?.state ?? 'Discovered';
}

export function machineTags(hw: Hardware): string[] {
  const labels = Object.entries(hw.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  return [...(hw.spec.tags ?? []), ...labels];
}

/** Search matches name, display name, any MAC (with or without separators), IP, serial and tags. */
export function searchText(hw: Hardware): string {
  const macs = hw.spec.macs.flatMap((m) => [m, m.replace(/:/g, '')]);
  return [
    hw.metadata.name,
    hw.spec.displayName ?? '',
    ...macs,
    hw.status?.ipAddress ?? '',
    hw.spec.facts?.dmi.serial ?? '',
    ...machineTags(hw),
  ]
    .join(' ')
    .toLowerCase();
}

export function matchesFilter(hw: Hardware, f: MachineFilter): boolean {
  if (f.state !== 'all' && machineState(hw) !== f.state) return false;
  if (f.tag !== 'all' && !machineTags(hw).includes(f.tag)) return false;
  const words = f.text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = searchText(hw);
  return words.every((w) => hay.includes(w));
}

export function visibleMachines(names: readonly string[], byName: ReadonlyMap<string, Hardware>, f: MachineFilter): string[] {
  const narrowing = f.text.trim() !== '' || f.state !== 'all' || f.tag !== 'all';
  if (!narrowing) return names as string[];
  return names.filter((n) => {
    const hw = byName.get(n);
    return hw !== undefined && matchesFilter(hw, f);
  });
}

export function allTags(byName: ReadonlyMap<string, Hardware>): string[] {
  const set = new Set<string>();
  for (const hw of byName.values()) for (const t of machineTags(hw)) set.add(t);
  return [...set].sort();
}

export function countByState(byName: ReadonlyMap<string, Hardware>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const hw of byName.values()) {
    const s = machineState(hw);
    out[s] = (out[s] ?? 0) + 1;
  }
  return out;
}

/** "16 cores · 64 GiB · 2 disks 1.8 TiB" — one line that fits a table cell. */
export function hardwareSummary(hw: Hardware, fmtBytes: (n: number) => string): string {
  const f = hw.spec.facts;
  if (!f) return 'not yet inventoried';
  const disks = f.disks.length;
  const total = f.disks.reduce((a, d) => a + d.sizeBytes, 0);
  const cores = f.cpu.cores || f.cpu.threads;
  return `${cores} cores · ${fmtBytes(f.memoryBytes)} · ${disks} ${disks === 1 ? 'disk' : 'disks'}${disks ? ` ${fmtBytes(total)}` : ''}`;
}
