import { constants } from 'node:fs';
import { mkdir, open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DragonflyError } from '../shared/errors.ts';

/** The folder inside the data directory that image imports read from (issue 14, attack 3). */
export const IMPORT_FOLDER = 'import';

export function importFolderOf(dataDir: string): string {
  return join(dataDir, IMPORT_FOLDER);
}

/**
 * Opens a file an operator asked to import: a name inside `importDir`, or an absolute path inside
 * it. Anything else is refused, naming the folder: the server's own files (auth.json, secrets,
 * /etc/shadow when run as root) must never become a downloadable image. The file is opened once
 * (no symbolic link, and without blocking on a FIFO), every check is made on that descriptor, and
 * the import reads through it: swapping the name after the check changes nothing that is read.
 * The caller closes the handle. The folder is created (0700) when missing.
 */
export async function openImportFile(importDir: string, requested: string): Promise<{ handle: FileHandle; path: string }> {
  await mkdir(importDir, { recursive: true, mode: 0o700 });
  const folder = await realpath(importDir);
  const where = `"${requested}" in the import folder ${folder}`;
  const { path, real } = await checkedPaths(importDir, folder, requested);
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ELOOP') throw new DragonflyError('DF_ERR_FORBIDDEN', `${where} is a symbolic link: copy the image file there (not a link to it)`);
    if (e.code === 'ENOENT') throw new DragonflyError('DF_ERR_NOT_FOUND', `no file ${where}`);
    throw new DragonflyError('DF_ERR_FORBIDDEN', `${where} cannot be opened: ${e.message}`);
  });
  try {
    const st = await handle.stat();
    if (st.isFIFO()) throw new DragonflyError('DF_ERR_INVALID', `${where} is a FIFO (named pipe), not a regular file: copy the image file there`);
    if (!st.isFile()) throw new DragonflyError('DF_ERR_INVALID', `${where} is not a regular file`);
    const opened = await openedPath(handle, real);
    if (!opened || !within(folder, opened)) throw outside(requested, folder, 'it was replaced while being opened');
    return { handle, path };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/**
 * The path to open (the name as asked, under the folder's real path, so a link as its last
 * component is refused when opened) and where it resolves now: a link leading out of the folder
 * is refused here, naming the folder.
 */
async function checkedPaths(importDir: string, folder: string, requested: string): Promise<{ path: string; real: string }> {
  if (requested.includes('\0')) throw outside(requested, folder);
  const candidate = isAbsolute(requested) ? resolve(requested) : resolve(folder, requested);
  const base = within(folder, candidate) ? folder : within(resolve(importDir), candidate) ? resolve(importDir) : undefined;
  if (!base) throw outside(requested, folder);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw new DragonflyError('DF_ERR_NOT_FOUND', `no file "${requested}" in the import folder ${folder}`);
  }
  if (!within(folder, real)) throw outside(requested, folder);
  return { path: join(folder, relative(base, candidate)), real };
}

/**
 * Where the descriptor really points. Linux names it (/proc/self/fd); elsewhere the path opened
 * must still be the same file (device and inode), or a directory on the way was swapped.
 */
async function openedPath(handle: FileHandle, real: string): Promise<string | undefined> {
  if (process.platform === 'linux') return readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
  const [a, b] = [await handle.stat(), await stat(real).catch(() => undefined)];
  return b && a.dev === b.dev && a.ino === b.ino ? real : undefined;
}

function outside(requested: string, folder: string, why?: string): DragonflyError {
  const because = why ? ` (${why})` : '';
  return new DragonflyError('DF_ERR_FORBIDDEN', `"${requested}" is not inside the import folder ${folder}${because}: copy the image file there (not a link to it) and import it by its name`);
}

function within(folder: string, path: string): boolean {
  return path.startsWith(folder + sep);
}
