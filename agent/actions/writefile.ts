import { existsSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, normalize, sep } from 'node:path';
import { partitionPath } from './block-device.ts';
import { mustRun, type Exec } from './exec.ts';

/** "0644" or "644" -> 0o644; the template schema already limits it to octal digits. */
export function parseMode(mode: string | undefined): number {
  const m = mode ?? '0644';
  if (!/^0?[0-7]{3,4}$/.test(m)) throw new Error(`mode "${m}" is not octal like 0644`);
  return parseInt(m, 8);
}

/** ROOT + an absolute path inside the mounted file system; refuses "..", which would leave it. */
export function pathInside(root: string, path: string): string {
  const rel = normalize(path).replace(/^\/+/, '');
  if (rel === '' || rel === '.' || rel.split(sep).includes('..')) throw new Error(`path "${path}" does not name a file inside the partition`);
  return join(root, rel);
}

export interface PartitionLookup {
  exec: Exec;
  exists?: (p: string) => boolean;
  realpath?: (p: string) => string;
}

/**
 * The device of a partition of `disk`: by number (the kernel's name: sda1, nvme0n1p1), or by
 * file-system label through /dev/disk/by-label (udev), `blkid -L`, or busybox `findfs LABEL=`.
 * A label found on another disk is refused: the template chose this disk.
 */
export async function partitionDevice(disk: string, partition: number | string, l: PartitionLookup): Promise<string> {
  const exists = l.exists ?? existsSync;
  if (typeof partition === 'number') {
    const dev = partitionPath(disk, partition);
    if (!exists(dev)) throw new Error(`partition ${partition} of ${disk} (${dev}) does not exist; was the disk partitioned and re-read?`);
    return dev;
  }
  const dev = await deviceByLabel(partition, l);
  if (!dev) throw new Error(`no file system labelled "${partition}" (looked in /dev/disk/by-label, blkid -L, findfs)`);
  if (dev !== disk && !basename(dev).startsWith(basename(disk))) {
    throw new Error(`the file system labelled "${partition}" is on ${dev}, not on the chosen disk ${disk}`);
  }
  return dev;
}

async function deviceByLabel(label: string, l: PartitionLookup): Promise<string | undefined> {
  const link = `/dev/disk/by-label/${label.replace(/\//g, '\\x2f')}`;
  if ((l.exists ?? existsSync)(link)) return (l.realpath ?? realpathSync)(link);
  for (const [file, args] of [['blkid', ['-L', label]], ['findfs', [`LABEL=${label}`]]] as const) {
    const r = await l.exec(file, [...args]).catch(() => undefined);
    const dev = r?.code === 0 ? r.stdout.trim().split('\n')[0] : '';
    if (dev.startsWith('/dev/')) return dev;
  }
  return undefined;
}

/** Mounts `dev` on a fresh directory (busybox mount detects the type), runs fn, and always unmounts and removes the directory. */
export async function withMounted<T>(exec: Exec, dev: string, fn: (dir: string) => Promise<T>, base = tmpdir()): Promise<T> {
  const dir = await mkdtemp(join(base, 'df-mnt-'));
  try {
    await mustRun(exec, 'mount', [dev, dir]);
  } catch (err) {
    await rmdir(dir).catch(() => undefined);
    throw err;
  }
  let result: T;
  try {
    result = await fn(dir);
  } catch (err) {
    await unmount(exec, dir);
    throw err;
  }
  // an unmount failure after a successful write is itself a failure: the data may not be on the disk
  const um = await unmount(exec, dir);
  if (um) throw new Error(`umount ${dir} (${dev}) failed: ${um}`);
  return result;
}

/** Syncs and unmounts `dir`, removing it when that worked; returns the unmount error, if any. */
async function unmount(exec: Exec, dir: string): Promise<string | undefined> {
  await exec('sync', []).catch(() => undefined);
  const um = await exec('umount', [dir]).catch((e: Error) => ({ code: 1, stdout: '', stderr: e.message }));
  if (um.code !== 0) return um.stderr.trim();
  await rmdir(dir).catch(() => undefined);
  return undefined;
}

export interface FileSpec {
  path: string;
  content: string;
  mode: number;
  uid?: number;
  gid?: number;
}

/** Writes the file atomically (temp file, fsync, rename, fsync of the directory) with its mode and owner; creates parents 0755. */
export async function writeFileInside(root: string, f: FileSpec): Promise<string> {
  const target = pathInside(root, f.path);
  await mkdir(dirname(target), { recursive: true, mode: 0o755 });
  const tmp = `${target}.df-tmp-${process.pid}`;
  const fh = await open(tmp, 'w', f.mode);
  try {
    await fh.writeFile(f.content);
    await fh.chmod(f.mode); // open's mode is filtered by the umask
    if (f.uid !== undefined || f.gid !== undefined) await fh.chown(f.uid ?? -1, f.gid ?? -1);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, target);
  const d = await open(dirname(target), 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
  return target;
}

