import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { SECURE_BOOT_VAR } from './secure-boot.ts';
import { emptySnapshot, type Snapshot } from './snapshot.ts';

/**
 * The only file I/O of hardware detection: reads exactly the files the parsers use into a
 * Snapshot. `root` prefixes every real path (tests point it at a fake tree); keys in the
 * snapshot are always the paths as seen on the machine ("/sys/block/vda/size").
 */
export function collectSnapshot(root = ''): Snapshot {
  const c = new Collector(root);
  for (const f of ['/proc/cpuinfo', '/proc/meminfo', '/proc/sys/kernel/arch', '/sys/hypervisor/type']) c.file(f);
  c.file('/sys/devices/system/clocksource/clocksource0/available_clocksource');
  c.file('/sys/devices/system/cpu/online');
  for (const cpu of c.list('/sys/devices/system/cpu', /^cpu\d+$/)) {
    c.files(cpu, ['topology/physical_package_id', 'topology/core_id']);
  }
  c.file('/sys/devices/system/memory/block_size_bytes');
  for (const block of c.list('/sys/devices/system/memory', /^memory\d+$/)) c.files(block, ['state', 'phys_index']);
  c.file('/proc/iomem');
  for (const disk of c.list('/sys/block')) {
    c.link(disk);
    c.files(disk, ['size', 'removable', 'queue/rotational', 'serial', 'wwid', 'device/model', 'device/serial', 'device/wwid']);
  }
  for (const nic of c.list('/sys/class/net')) {
    c.link(nic);
    c.link(`${nic}/device`);
    c.link(`${nic}/device/driver`);
    c.files(nic, ['address', 'operstate', 'speed']);
  }
  c.files('/sys/class/dmi/id', ['sys_vendor', 'product_name', 'product_serial', 'product_uuid']);
  c.exists('/sys/firmware/efi');
  c.file(SECURE_BOOT_VAR);
  return c.snapshot;
}

class Collector {
  readonly snapshot = emptySnapshot();
  constructor(private readonly root: string) {}

  file(path: string): void {
    try {
      this.snapshot.files[path] = readFileSync(this.root + path, 'utf8');
    } catch {
      // Absent, unreadable (product_serial needs root) or refused (speed of a down link: EINVAL).
    }
  }

  files(dir: string, names: string[]): void {
    for (const n of names) this.file(`${dir}/${n}`);
  }

  link(path: string): void {
    try {
      if (lstatSync(this.root + path).isSymbolicLink()) this.snapshot.links[path] = readlinkSync(this.root + path);
    } catch {
      // not there
    }
  }

  exists(path: string): void {
    if (existsSync(this.root + path)) this.snapshot.exists.push(path);
  }

  /** Absolute paths of the entries of dir whose names match. */
  list(dir: string, pattern: RegExp = /./): string[] {
    try {
      return readdirSync(this.root + dir)
        .filter((n) => pattern.test(n))
        .map((n) => `${dir}/${n}`);
    } catch {
      return [];
    }
  }
}
