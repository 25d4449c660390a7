import { spawn } from 'node:child_process';
import { closeSync, constants, fsyncSync, openSync, readFileSync } from 'node:fs';
import type { Bytes } from './decode.ts';
import { HashWorker } from './hash-worker.ts';

/** How often the bytes the decompressor wrote are handed to the hash and counted for progress, ms. */
const POLL_MS = 50;

/**
 * The zstd program writes the disk itself, its stdout being the target, as in
 * `curl | zstd -dc > disk`: the decompressed bytes never pass through this thread, which only
 * feeds the download in. A worker thread reads what was written back from the page cache and
 * hashes it, so the checksum covers the bytes on the target. Linux only: how far the program
 * got is the file offset it shares with us (/proc/self/fdinfo).
 * A retry decodes from the start again and rewrites the target from offset 0, hashing anew.
 */
export class DirectTarget {
  /** Most bytes written by any attempt (progress never goes back). */
  accepted = 0;
  private writeFd = -1;
  private readonly readFd: number;
  private hashedTo = 0;
  private readonly hasher: HashWorker;

  constructor(
    private readonly path: string,
    readonly algorithm: string,
  ) {
    this.readFd = openSync(path, constants.O_RDONLY);
    this.hasher = new HashWorker(algorithm);
  }

  /** Whether this machine can tell how far the program wrote. */
  static supported(): boolean {
    return process.platform === 'linux';
  }

  /** Runs `program args` with `body` on stdin and the target on stdout, from offset 0. */
  async decode(body: Bytes, program: string, args: string[], onProgress: () => void): Promise<void> {
    await this.restart();
    const child = spawn(program, args, { stdio: ['pipe', this.writeFd, 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    child.stdin!.on('error', () => undefined); // EPIPE when the program quits early; its exit status says why
    const exited = new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
    await new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
    const timer = setInterval(() => {
      this.advance();
      onProgress();
    }, POLL_MS);
    try {
      await feed(body, child.stdin!, exited).catch((err) => {
        child.kill();
        throw err;
      });
      const code = await exited;
      if (code !== 0) throw new DecodeFailure(`${program} ${args.join(' ')} failed (exit ${code}): ${stderr.trim() || 'no message'}`);
    } finally {
      clearInterval(timer);
      if (child.exitCode === null) child.kill();
      this.advance();
    }
  }

  /** Bytes written by the current attempt. */
  get written(): number {
    return this.hashedTo;
  }

  async finish(): Promise<string> {
    this.advance();
    fsyncSync(this.writeFd);
    return this.hasher.digest();
  }

  async close(): Promise<void> {
    await this.hasher.close();
    if (this.writeFd >= 0) closeSync(this.writeFd);
    closeSync(this.readFd);
  }

  private async restart(): Promise<void> {
    if (this.writeFd >= 0) {
      closeSync(this.writeFd);
      await this.hasher.digest(); // resets the running hash
    }
    this.writeFd = openSync(this.path, constants.O_WRONLY);
    this.hashedTo = 0;
  }

  /** Hands the newly written bytes to the hash. */
  private advance(): void {
    const pos = fileOffset(this.writeFd);
    if (pos <= this.hashedTo) return;
    void this.hasher.updateFromFile(this.readFd, this.hashedTo, pos).catch(() => undefined); // a failure resurfaces at digest()
    this.hashedTo = pos;
    this.accepted = Math.max(this.accepted, pos);
  }
}

/** The program reported a corrupt or truncated stream (not worth a retry). */
export class DecodeFailure extends Error {}

function fileOffset(fd: number): number {
  const m = /^pos:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function feed(input: Bytes, stdin: NodeJS.WritableStream, exited: Promise<number>): Promise<void> {
  for await (const c of input) {
    if (!stdin.write(c)) {
      const gone = await Promise.race([new Promise<boolean>((r) => stdin.once('drain', () => r(false))), exited.then(() => true)]);
      if (gone) return;
    }
  }
  stdin.end();
}
