import type { Disk } from '../../core/model/hardware.ts';
import type { DiskSelector } from '../../core/model/template.ts';

export type DiskChoice = { ok: true; disk: Disk } | { ok: false; error: string };

/**
 * The disk a destructive action writes (DESIGN.md §5). Exactly one criterion is honoured, in the
 * order path, serial, WWN, rule; "the first disk" is never assumed. Removable media are refused
 * unless allowRemovable is set. Errors name what was asked and list what exists.
 */
export function selectDisk(disks: readonly Disk[], sel: DiskSelector): DiskChoice {
  const asked = describeSelector(sel);
  const candidates = sel.allowRemovable ? [...disks] : disks.filter((d) => !d.removable);
  const fail = (why: string): DiskChoice => ({ ok: false, error: `no disk for ${asked}: ${why}; disks present: ${listDisks(disks)}` });
  if (sel.path !== undefined) return pickOne(disks, candidates, (d) => d.path === sel.path || `/dev/${d.name}` === sel.path, fail);
  if (sel.serial !== undefined) return pickOne(disks, candidates, (d) => !!d.serial && d.serial.trim() === sel.serial!.trim(), fail);
  if (sel.wwn !== undefined) return pickOne(disks, candidates, (d) => !!d.wwn && normalizeWwn(d.wwn) === normalizeWwn(sel.wwn!), fail);
  if (sel.rule !== undefined) return pickByRule(candidates, sel.rule, fail);
  return fail('the selector names no path, serial, wwn or rule');
}

function pickOne(all: readonly Disk[], allowed: Disk[], match: (d: Disk) => boolean, fail: (why: string) => DiskChoice): DiskChoice {
  const hits = allowed.filter(match);
  if (hits.length === 1) return { ok: true, disk: hits[0] };
  if (hits.length > 1) return fail(`${hits.length} disks match (${hits.map((d) => d.path).join(', ')}); refusing to guess`);
  if (all.some(match)) return fail('it is removable media (set allowRemovable to write it)');
  return fail('not present');
}

type Rule = NonNullable<DiskSelector['rule']>;

function pickByRule(allowed: Disk[], rule: Rule, fail: (why: string) => DiskChoice): DiskChoice {
  const fits = allowed.filter((d) => fitsRule(d, rule));
  if (fits.length === 0) return fail('none fits the rule');
  const sorted = [...fits].sort((a, b) => (rule.pick === 'smallest' ? a.sizeBytes - b.sizeBytes : b.sizeBytes - a.sizeBytes));
  if (sorted.length > 1 && sorted[0].sizeBytes === sorted[1].sizeBytes) {
    return fail(`${sorted[0].path} and ${sorted[1].path} are both ${sorted[0].sizeBytes} bytes; add a serial or wwn to choose`);
  }
  return { ok: true, disk: sorted[0] };
}

/** 0 (or absent) means no bound, as the schema documents. A zero-sized disk (empty card reader) never fits. */
function fitsRule(d: Disk, rule: Rule): boolean {
  if (d.sizeBytes <= 0) return false;
  if (rule.minSizeBytes && d.sizeBytes < rule.minSizeBytes) return false;
  if (rule.maxSizeBytes && d.sizeBytes > rule.maxSizeBytes) return false;
  if (rule.rotational !== undefined && d.rotational !== rule.rotational) return false;
  return true;
}

/** WWNs come as "0x5000c500a1b2c3d4", "naa.5000c500a1b2c3d4" or "eui.…"; compare the hex only. */
export function normalizeWwn(w: string): string {
  return w.trim().toLowerCase().replace(/^(0x|naa\.|eui\.|t10\.)/, '');
}

export function describeSelector(sel: DiskSelector): string {
  if (sel.path !== undefined) return `path ${sel.path}`;
  if (sel.serial !== undefined) return `serial "${sel.serial}"`;
  if (sel.wwn !== undefined) return `wwn ${sel.wwn}`;
  if (sel.rule !== undefined) {
    const r = sel.rule;
    const parts = [`the ${r.pick} disk`];
    if (r.minSizeBytes) parts.push(`>= ${r.minSizeBytes} bytes`);
    if (r.maxSizeBytes) parts.push(`<= ${r.maxSizeBytes} bytes`);
    if (r.rotational !== undefined) parts.push(r.rotational ? 'rotational' : 'non-rotational');
    return parts.join(', ');
  }
  return 'an empty selector';
}

function listDisks(disks: readonly Disk[]): string {
  if (disks.length === 0) return 'none';
  return disks
    .map((d) => {
      const ids = [d.serial ? `serial ${d.serial}` : 'no serial', d.wwn ? `wwn ${d.wwn}` : 'no wwn'];
      if (d.removable) ids.push('removable');
      return `${d.path} (${d.sizeBytes} bytes, ${ids.join(', ')})`;
    })
    .join('; ');
}
