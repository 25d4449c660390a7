import { randomBytes } from 'node:crypto';
import { open, readFile, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';
import type { StoreState } from '../state-store.ts';
import { StateSerializer, parseStateFile } from './state-file.ts';

/**
 * lowdb adapter that makes every write durable and atomic: the new content goes to a
 * temp file with a name unique to this process and write (two writers never share a
 * temp file), the temp file is fsynced, renamed over the target, and the directory is
 * fsynced so the rename itself survives a power cut. A crash at any instant leaves the
 * old file or the new one, never a mix.
 */
export class DurableStateAdapter implements Adapter<StoreState> {
  readonly serializer = new StateSerializer();
  private dirHandle: FileHandle | undefined;

  constructor(readonly path: string) {}

  /** null when the file does not exist yet (first start); a damaged file throws. */
  async read(): Promise<StoreState | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    return parseStateFile(text, this.path);
  }

  async write(state: StoreState): Promise<void> {
    // Serialised synchronously, before the first await: the file holds exactly the
    // mutations applied before this call, which is what group commit relies on.
    await this.writeChunks(this.serializer.serialize(state));
  }

  private async writeChunks(chunks: Buffer[]): Promise<void> {
    const tmp = join(dirname(this.path), `${tempPrefix(this.path)}${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await writeAll(fh, chunks);
      await fh.datasync();
    } catch (e) {
      await fh.close();
      await unlink(tmp).catch(() => {});
      throw e;
    }
    await fh.close();
    await rename(tmp, this.path);
    await this.syncDir();
  }

  private async syncDir(): Promise<void> {
    // Windows cannot open a directory for fsync; NTFS journals the rename itself.
    if (process.platform === 'win32') return;
    this.dirHandle ??= await open(dirname(this.path), 'r');
    await this.dirHandle.sync();
  }

  /** Removes temp files left by a process that died mid-write. Call only while holding the lock. */
  async removeLeftoverTempFiles(): Promise<string[]> {
    const prefix = tempPrefix(this.path);
    const names = (await readdir(dirname(this.path))).filter((n) => n.startsWith(prefix) && n.endsWith('.tmp'));
    await Promise.all(names.map((n) => unlink(join(dirname(this.path), n)).catch(() => {})));
    return names;
  }

  async close(): Promise<void> {
    await this.dirHandle?.close();
    this.dirHandle = undefined;
  }
}

/** One writev from the thread pool (libuv splits it by IOV_MAX); a short write is finished by hand. */
async function writeAll(fh: FileHandle, chunks: Buffer[]): Promise<void> {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const { bytesWritten } = await fh.writev(chunks, 0);
  if (bytesWritten < total) {
    const rest = Buffer.concat(chunks).subarray(bytesWritten);
    for (let off = 0; off < rest.length; ) off += (await fh.write(rest, off, rest.length - off, bytesWritten + off)).bytesWritten;
  }
}

const tempPrefix = (path: string) => `.${basename(path)}.`;
