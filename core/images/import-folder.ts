import { mkdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { DragonflyError } from '../shared/errors.ts';

/** The folder inside the data directory that image imports read from (issue 14, attack 3). */
export const IMPORT_FOLDER = 'import';

export function importFolderOf(dataDir: string): string {
  return join(dataDir, IMPORT_FOLDER);
}

/**
 * The real path of a file an operator asked to import: a name inside `importDir`, or an absolute
 * path inside it. Anything else is refused, naming the folder, and so is a symbolic link that
 * leads out of it: the server's own files (auth.json, secrets, /etc/shadow when run as root)
 * must never become a downloadable image. The folder is created (0700) when missing.
 */
export async function resolveImportFile(importDir: string, requested: string): Promise<string> {
  await mkdir(importDir, { recursive: true, mode: 0o700 });
  const folder = await realpath(importDir);
  const outside = () =>
    new DragonflyError('DF_ERR_FORBIDDEN', `"${requested}" is not inside the import folder ${folder}: copy the image file there (not a link to it) and import it by its name`);
  if (requested.includes('\0')) throw outside();
  const candidate = isAbsolute(requested) ? resolve(requested) : resolve(folder, requested);
  if (!within(folder, candidate) && !within(resolve(importDir), candidate)) throw outside();
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw new DragonflyError('DF_ERR_NOT_FOUND', `no file "${requested}" in the import folder ${folder}`);
  }
  if (!within(folder, real)) throw outside();
  if (!(await stat(real)).isFile()) throw new DragonflyError('DF_ERR_INVALID', `"${requested}" in the import folder ${folder} is not a regular file`);
  return real;
}

function within(folder: string, path: string): boolean {
  return path.startsWith(folder + sep);
}
