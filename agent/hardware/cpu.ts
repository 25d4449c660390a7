import type { HardwareFacts } from '../../core/model/hardware.ts';
import { children, readInt, readTrimmed, type Snapshot } from './snapshot.ts';

export type CpuFacts = HardwareFacts['cpu'];

const CPU_DIR = '/sys/devices/system/cpu';

/** Key/value blocks of /proc/cpuinfo, one per logical processor. */
export function parseCpuinfo(text: string): Array<Record<string, string>> {
  const blocks: Array<Record<string, string>> = [];
  let cur: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (line.trim() === '') {
      if (Object.keys(cur).length) blocks.push(cur);
      cur = {};
    } else if (colon > 0) {
      cur[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
    }
  }
  if (Object.keys(cur).length) blocks.push(cur);
  return blocks;
}

/** Count of CPUs in a kernel cpu list such as "0-3,8-11" (Documentation/ABI cpu "online"). */
export function countCpuList(list: string): number | undefined {
  let n = 0;
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m || (m[2] !== undefined && Number(m[2]) < Number(m[1]))) return undefined;
    n += m[2] === undefined ? 1 : Number(m[2]) - Number(m[1]) + 1;
  }
  return n;
}

/** The flags of the first processor (x86 "flags", arm "Features"). */
export function cpuFlags(s: Snapshot): Set<string> {
  const first = parseCpuinfo(s.files['/proc/cpuinfo'] ?? '')[0] ?? {};
  return new Set((first.flags ?? first.Features ?? '').split(/\s+/).filter(Boolean));
}

export function detectCpu(s: Snapshot): CpuFacts {
  const procs = parseCpuinfo(s.files['/proc/cpuinfo'] ?? '').filter((b) => 'processor' in b);
  const first = procs[0] ?? {};
  const model = first['model name'] ?? first['Model'] ?? first['cpu model'] ?? 'unknown';
  const topo = topology(s);
  const online = readTrimmed(s, `${CPU_DIR}/online`);
  const threads = (online && countCpuList(online)) || procs.length;
  const sockets = topo.packages.size || new Set(procs.map((p) => p['physical id'] ?? '0')).size;
  const cores = topo.cores.size || cpuinfoCores(procs) || threads;
  const arch = archOf(s, first);
  return { model, sockets, cores, threads, ...(arch ? { arch } : {}) };
}

/** sockets = distinct physical_package_id; cores = distinct (package, core_id). */
function topology(s: Snapshot): { packages: Set<number>; cores: Set<string> } {
  const packages = new Set<number>();
  const cores = new Set<string>();
  for (const name of children(s, CPU_DIR)) {
    if (!/^cpu\d+$/.test(name)) continue;
    const pkg = readInt(s, `${CPU_DIR}/${name}/topology/physical_package_id`);
    const core = readInt(s, `${CPU_DIR}/${name}/topology/core_id`);
    if (pkg === undefined || core === undefined) continue;
    // -1 means "not known" on some arm boards; treat as one package.
    packages.add(Math.max(pkg, 0));
    cores.add(`${Math.max(pkg, 0)}:${core}`);
  }
  return { packages, cores };
}

/** Fallback when sysfs topology is missing: sum "cpu cores" over distinct physical ids. */
function cpuinfoCores(procs: Array<Record<string, string>>): number {
  const perPackage = new Map<string, number>();
  for (const p of procs) {
    if (p['cpu cores'] !== undefined) perPackage.set(p['physical id'] ?? '0', Number(p['cpu cores']));
  }
  return [...perPackage.values()].reduce((a, b) => a + b, 0);
}

function archOf(s: Snapshot, first: Record<string, string>): string | undefined {
  const fromKernel = readTrimmed(s, '/proc/sys/kernel/arch');
  if (fromKernel) return fromKernel;
  const flags = (first.flags ?? '').split(/\s+/);
  if (flags.includes('lm')) return 'x86_64';
  if (first['CPU architecture'] === '8') return 'aarch64';
  return first.vendor_id ? 'i686' : undefined;
}
