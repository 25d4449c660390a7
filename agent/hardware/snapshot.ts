import { posix } from 'node:path';

/**
 * The raw material hardware detection reads: file contents, symlink targets and bare
 * existence, keyed by absolute path. collect.ts fills it from the running system; the
 * parsers beside this file read only from it, so tests run from recorded fixtures.
 */
export interface Snapshot {
  /** Absolute path -> file content exactly as read. */
  files: Record<string, string>;
  /** Absolute path of a symlink -> its target as readlink returns it (often relative). */
  links: Record<string, string>;
  /** Paths known to exist whose content is not needed (e.g. /sys/firmware/efi). */
  exists: string[];
}

/** Lines around a snapshot printed on the serial console (dragonfly.mode=snapshot), for fixture recording. */
export const SNAPSHOT_BEGIN = '----- DRAGONFLY SNAPSHOT BEGIN -----';
export const SNAPSHOT_END = '----- DRAGONFLY SNAPSHOT END -----';

export const emptySnapshot = (): Snapshot => ({ files: {}, links: {}, exists: [] });

/** File content with surrounding whitespace removed; undefined when absent or blank. */
export function readTrimmed(s: Snapshot, path: string): string | undefined {
  const raw = s.files[path];
  if (raw === undefined) return undefined;
  const t = raw.trim();
  return t === '' ? undefined : t;
}

export function readInt(s: Snapshot, path: string): number | undefined {
  const t = readTrimmed(s, path);
  if (t === undefined || !/^-?\d+$/.test(t)) return undefined;
  return Number(t);
}

export function pathExists(s: Snapshot, path: string): boolean {
  if (path in s.files || path in s.links || s.exists.includes(path)) return true;
  const prefix = path.endsWith('/') ? path : path + '/';
  return allPaths(s).some((p) => p.startsWith(prefix));
}

/** Names directly under dir that the snapshot mentions, sorted like `ls` would. */
export function children(s: Snapshot, dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : dir + '/';
  const names = new Set<string>();
  for (const p of allPaths(s)) {
    if (!p.startsWith(prefix)) continue;
    const name = p.slice(prefix.length).split('/')[0];
    if (name) names.add(name);
  }
  return [...names].sort(naturalCompare);
}

/** Absolute path a symlink points to, or undefined when the path is no link. */
export function resolveLink(s: Snapshot, path: string): string | undefined {
  const target = s.links[path];
  if (target === undefined) return undefined;
  return posix.resolve(posix.dirname(path), target);
}

function allPaths(s: Snapshot): string[] {
  return [...Object.keys(s.files), ...Object.keys(s.links), ...s.exists];
}

/** "cpu2" before "cpu10", as people expect. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
