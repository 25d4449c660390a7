/**
 * Turning a requested file name into a file under the served root, and nothing else.
 * Two steps: `normalizeRequestPath` is pure and refuses every trick it can see in the
 * name; `openInRoot` then resolves symlinks on disk and refuses anything whose real
 * path leaves the root. A refusal carries the TFTP error code to answer with.
 */
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { TftpErrorCode } from './codec.ts';
import { fileHandleReader } from './sources.ts';
import type { BlockReader } from './session.ts';

export type Refusal = { ok: false; code: number; reason: string };
export type NormalizedPath = { ok: true; path: string } | Refusal;
export type OpenedFile = { ok: true; size: number; reader: BlockReader } | Refusal;

const denied = (reason: string): Refusal => ({ ok: false, code: TftpErrorCode.accessViolation, reason });
const missing = (reason: string): Refusal => ({ ok: false, code: TftpErrorCode.fileNotFound, reason });

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The codec keeps names as latin1 (one char per byte); file names on disk are UTF-8. */
function nameAsUtf8(latin1Name: string): string | undefined {
  try {
    return utf8.decode(Uint8Array.from(latin1Name, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/**
 * Refuses what could name something outside the root, else returns a clean relative
 * path ("boot/ipxe.efi"). Choices:
 * - A leading "/" means the root, as with `in.tftpd -s` (pxelinux configs rely on it):
 *   "/etc/passwd" is root/etc/passwd, never the host's.
 * - ".." is refused outright, even where it would stay inside.
 * - Backslashes are refused: Windows-style names could become separators elsewhere.
 * - Percent escapes are refused: some clients decode them and some do not, so such a
 *   name is ambiguous ("%2e%2e" must never become "..").
 * - NUL and other control characters are refused.
 * - On Windows a ":" is refused too: "C:" would name a drive, "f:s" an NTFS stream.
 */
export function normalizeRequestPath(filename: string, windows = process.platform === 'win32'): NormalizedPath {
  const name = nameAsUtf8(filename);
  if (name === undefined) return missing('file name is not UTF-8');
  if (/[\u0000-\u001f\u007f]/.test(name)) return denied('control character in file name');
  if (name.includes('\\')) return denied('backslash in file name');
  if (windows && name.includes(':')) return denied('colon in file name');
  if (/%[0-9a-fA-F]{2}/.test(name)) return denied('percent escape in file name');
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return denied('".." in file name');
  if (segments.length === 0) return missing('empty file name');
  return { ok: true, path: segments.join('/') };
}

function refusalForErrno(e: unknown, path: string): Refusal {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return missing(`${path}: not found`);
  if (code === 'EACCES' || code === 'EPERM' || code === 'ELOOP') return denied(`${path}: ${code}`);
  return { ok: false, code: TftpErrorCode.notDefined, reason: `${path}: ${code ?? (e as Error).message}` };
}

/**
 * Opens `relPath` (already normalized) under `realRoot` (already a real path). Symlinks
 * inside the root are followed as long as the target stays inside; the file is opened
 * by its resolved path with O_NOFOLLOW so a link swapped in afterwards is not followed.
 */
export async function openInRoot(realRoot: string, relPath: string): Promise<OpenedFile> {
  let real: string;
  try {
    real = await realpath(join(realRoot, relPath));
  } catch (e) {
    return refusalForErrno(e, relPath);
  }
  if (!isInside(realRoot, real)) return denied(`${relPath}: resolves outside the root`);
  let handle;
  try {
    handle = await open(real, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (e) {
    return refusalForErrno(e, relPath);
  }
  const st = await handle.stat().catch(() => undefined);
  if (!st?.isFile()) {
    await handle.close();
    return missing(`${relPath}: not a regular file`);
  }
  return { ok: true, size: st.size, reader: fileHandleReader(handle) };
}

export function isInside(realRoot: string, real: string): boolean {
  const base = realRoot.endsWith(sep) ? realRoot : realRoot + sep;
  return real === realRoot || real.startsWith(base);
}
