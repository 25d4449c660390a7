import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';

export type ImageFormat = 'raw' | 'gz' | 'xz' | 'zst';
export type Bytes = AsyncIterable<Uint8Array>;
export type Decoder = (input: Bytes) => Bytes;

/** The image format: the action's `format` if given, else the URL's suffix; formats this agent cannot write are refused by name. */
export function imageFormat(url: string, declared?: string): ImageFormat | { error: string } {
  const path = url.replace(/[?#].*$/, '').toLowerCase();
  const f = declared ?? (/\.(gz|gzip)$/.test(path) ? 'gz' : /\.xz$/.test(path) ? 'xz' : /\.(zst|zstd)$/.test(path) ? 'zst' : 'raw');
  if (f === 'tar.xz' || (!declared && path.endsWith('.tar.xz'))) return { error: 'tar.xz images (a file tree, not a disk) are not supported by image2disk; use a raw disk image' };
  if (f === 'qcow2' || (!declared && path.endsWith('.qcow2'))) return { error: 'qcow2 images are not supported; convert with `qemu-img convert -O raw` and compress with zstd' };
  if (f === 'raw' || f === 'gz' || f === 'xz' || f === 'zst') return f;
  return { error: `unknown image format "${f}" (raw, gz, xz, zst)` };
}

/**
 * Decompressors. gzip is node:zlib (native). zstd and xz use an external program when the
 * image carries one (`zstd`, busybox `xzcat`: native code on another core), else pure JS
 * (fzstd) or WebAssembly (xz-decompress), so every format works in the smallest image.
 */
export function decoderFor(format: ImageFormat, findProgram: (name: string) => string | undefined = whichSync): { decode: Decoder; via: string } {
  if (format === 'raw') return { decode: (input) => input, via: 'none' };
  if (format === 'gz') return { decode: (input) => viaTransform(input, createGunzip({ chunkSize: 256 * 1024 })), via: 'node:zlib' };
  if (format === 'zst') {
    const zstd = findProgram('zstd');
    return zstd ? { decode: (input) => viaProgram(input, zstd, ['-dc']), via: zstd } : { decode: fzstdDecode, via: 'fzstd' };
  }
  const xz = findProgram('xzcat');
  return xz ? { decode: (input) => viaProgram(input, xz, []), via: xz } : { decode: xzWasmDecode, via: 'xz-decompress' };
}

/** The first executable named `name` on PATH. */
export function whichSync(name: string, path = process.env.PATH ?? '/bin:/usr/bin'): string | undefined {
  for (const dir of path.split(delimiter)) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function* viaTransform(input: Bytes, t: Transform): Bytes {
  const src = Readable.from(input, { objectMode: false });
  src.on('error', (err) => t.destroy(err));
  src.pipe(t);
  try {
    for await (const chunk of t) yield chunk as Uint8Array;
  } finally {
    src.destroy();
  }
}

/** fzstd decodes block by block (at most 128 KiB each, freshly allocated), so chunks stay valid after the next push. */
export async function* fzstdDecode(input: Bytes): Bytes {
  let out: Uint8Array[] = [];
  let sawData = false;
  const d = new Decompress((chunk) => {
    if (chunk.length) out.push(chunk);
  });
  for await (const c of input) {
    if (c.length === 0) continue;
    sawData = true;
    d.push(c);
    const ready = out;
    out = [];
    yield* ready;
  }
  if (!sawData) throw new Error('empty zstd stream');
  try {
    d.push(new Uint8Array(0), true);
  } catch (err) {
    throw new Error(`zstd stream ends early (truncated image): ${(err as Error).message}`, { cause: err });
  }
  yield* out;
}

export async function* xzWasmDecode(input: Bytes): Bytes {
  const { XzReadableStream } = (await import('xz-decompress')) as unknown as { XzReadableStream: new (s: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array> };
  const web = Readable.toWeb(Readable.from(input, { objectMode: false })) as unknown as ReadableStream<Uint8Array>;
  yield* new XzReadableStream(web) as unknown as AsyncIterable<Uint8Array>;
}

/**
 * Pipes input through a decompressing program's stdin/stdout. A failure reading the input
 * (a dropped connection) is rethrown as is, so the caller can tell it from a corrupt image,
 * which the program reports by its exit status and stderr.
 */
export async function* viaProgram(input: Bytes, file: string, args: string[]): Bytes {
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  child.stdin.on('error', () => undefined); // EPIPE when the program quits early; its exit status tells why
  const exited = new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  const started = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  await started;
  let inputError: unknown;
  const feeding = feed(input, child.stdin, exited).catch((err) => {
    inputError = err;
    child.kill();
  });
  try {
    for await (const chunk of child.stdout) yield chunk as Uint8Array;
    await feeding;
    if (inputError) throw inputError;
    const code = await exited;
    if (code !== 0) throw new Error(`${file} ${args.join(' ')} failed (exit ${code}): ${stderr.trim() || 'no message'}`);
  } finally {
    if (child.exitCode === null) child.kill();
  }
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
