import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/** Bytes per write: large and a multiple of every sector size, so a block device sees few, whole-sector writes. */
export const WRITE_CHUNK = 4 * 1024 * 1024;

/**
 * Writes a byte stream to a disk (or, in tests, a file) in WRITE_CHUNK pieces at increasing
 * offsets, hashing every byte in order. Double-buffered: one chunk is written while the next fills.
 * `accepted` counts bytes taken in (and hashed); after flush() they are all on the target.
 */
export class ImageWriter {
  accepted = 0;
  private buf: Buffer;
  private spare: Buffer;
  private fill = 0;
  private flushedTo = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private readonly hash: Hash;

  private constructor(
    private readonly fh: FileHandle,
    readonly algorithm: string,
    chunk: number,
  ) {
    this.buf = Buffer.allocUnsafe(chunk);
    this.spare = Buffer.allocUnsafe(chunk);
    this.hash = createHash(algorithm);
  }

  /** O_WRONLY without O_CREAT or O_TRUNC: the target must exist (a disk always does), and a file keeps its size. */
  static async open(path: string, algorithm: string, chunk = WRITE_CHUNK): Promise<ImageWriter> {
    return new ImageWriter(await open(path, constants.O_WRONLY), algorithm, chunk);
  }

  /** Bytes written to the target so far (the rest are in memory until the next chunk or flush). */
  get written(): number {
    return this.flushedTo;
  }

  /** Digest of every accepted byte so far, without ending the running hash. */
  digestSoFar(): string {
    return this.hash.copy().digest('hex');
  }

  async push(chunk: Uint8Array): Promise<void> {
    this.hash.update(chunk);
    this.accepted += chunk.length;
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, this.buf.length - this.fill);
      this.buf.set(chunk.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
      if (this.fill === this.buf.length) await this.rotate();
    }
  }

  /** Starts writing the full buffer and swaps in the spare, waiting only for the previous write. */
  private async rotate(): Promise<void> {
    await this.inFlight;
    const full = this.buf;
    const len = this.fill;
    const at = this.flushedTo;
    this.buf = this.spare;
    this.spare = full;
    this.fill = 0;
    this.flushedTo += len;
    this.inFlight = writeAll(this.fh, full, len, at);
    // surface a failed write at the next await, not as an unhandled rejection
    this.inFlight.catch(() => undefined);
  }

  /** Writes whatever is buffered and waits for it. */
  async flush(): Promise<void> {
    if (this.fill > 0) await this.rotate();
    await this.inFlight;
  }

  /** Flushes, fsyncs (the data must survive the reboot that follows), returns the digest of all bytes. */
  async finish(): Promise<string> {
    await this.flush();
    await this.fh.sync();
    return this.hash.digest('hex');
  }

  async close(): Promise<void> {
    await this.inFlight.catch(() => undefined);
    await this.fh.close();
  }
}

async function writeAll(fh: FileHandle, buf: Buffer, len: number, position: number): Promise<void> {
  let done = 0;
  while (done < len) {
    const { bytesWritten } = await fh.write(buf, done, len - done, position + done);
    if (bytesWritten <= 0) throw new Error(`the disk took no bytes at offset ${position + done} (is the image larger than the disk?)`);
    done += bytesWritten;
  }
}
