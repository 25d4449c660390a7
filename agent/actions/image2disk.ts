import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { decoderFor, imageFormat, whichSync, type Bytes, type Decoder, type ImageFormat } from './decode.ts';
import { DecodeFailure, DirectTarget } from './image2disk-direct.ts';
import type { HttpGet, HttpResponse } from './http-get.ts';
import { ImageWriter } from './image-writer.ts';

export interface Progress {
  bytesDone: number;
  /** Decompressed size when known (Content-Length of a raw image, or X-Uncompressed-Length); absent when unknown. */
  bytesTotal?: number;
}

export interface WriteImageOptions {
  url: string;
  /** "sha256:hex" or "sha512:hex" of the decompressed image. */
  checksum: string;
  /** raw, gz, xz, zst, or absent to go by the URL suffix. */
  format?: string;
  /** The disk (a regular file in tests). */
  target: string;
  httpGet: HttpGet;
  onProgress?: (p: Progress) => void;
  /**
   * Failed attempts in a row, without a byte of progress between them, before giving up;
   * default 9: with the default backoff (1, 2, 4, 8, 16, then 30 s) a control plane that is
   * down for up to about 2.5 minutes (a restart of the laptop's app under load) costs a pause,
   * not the install.
   */
  maxRetries?: number;
  /** Wait before retry n (1-based), ms; default 1 s doubling to 30 s. */
  backoffMs?: (n: number) => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Default: the zstd program writing the target itself for zst (see DirectTarget), else `decoderFor` (external zstd/xzcat when present, else JS). */
  decoder?: Decoder;
  /** Minimum ms between progress callbacks; default 1000. */
  progressIntervalMs?: number;
}

export interface WriteImageResult {
  bytes: number;
  digest: string;
  retries: number;
}

/** Why an attempt stopped: the network (worth a retry) or the image/disk (not). */
class TransferError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export function parseChecksum(s: string): { algorithm: 'sha256' | 'sha512'; hex: string } {
  const m = /^(sha256|sha512):([0-9a-f]+)$/.exec(s.trim().toLowerCase());
  if (!m) throw new Error(`checksum "${s}" is not sha256:HEX or sha512:HEX`);
  const want = m[1] === 'sha256' ? 64 : 128;
  if (m[2].length !== want) throw new Error(`checksum ${m[1]} needs ${want} hex digits, got ${m[2].length}`);
  return { algorithm: m[1] as 'sha256' | 'sha512', hex: m[2] };
}

const defaultBackoff = (n: number) => Math.min(30_000, 1000 * 2 ** (n - 1));

/**
 * Streams an image over HTTP, decompresses it, writes it to the target and verifies its checksum.
 * A dropped connection resumes: a raw image with an HTTP Range request from the last byte taken;
 * a compressed one by decoding again from the start and skipping (and re-hashing, to prove the
 * image did not change) the bytes already written.
 * A zst image, when the zstd program is on PATH (Linux), is written by the program itself and
 * hashed by reading it back (DirectTarget, about 1.6x faster on 2 cores); its retry rewrites
 * the target from offset 0 and hashes it anew.
 */
export async function writeImage(o: WriteImageOptions): Promise<WriteImageResult> {
  const sum = parseChecksum(o.checksum);
  const format = imageFormat(o.url, o.format);
  if (typeof format !== 'string') throw new Error(format.error);
  const decode = o.decoder ?? decoderFor(format).decode;
  const zstd = format === 'zst' && !o.decoder && DirectTarget.supported() ? whichSync('zstd') : undefined;
  const writer = zstd ? new DirectTarget(o.target, sum.algorithm) : await ImageWriter.open(o.target, sum.algorithm);
  const t: Transfer = { o, format, decode, writer, zstd, validator: undefined, total: undefined, lastReport: -Infinity };
  try {
    const retries = await withRetries(t);
    const digest = await writer.finish();
    report(t, true);
    if (digest !== sum.hex) {
      throw new Error(
        `checksum mismatch for ${o.url}: expected ${sum.algorithm}:${sum.hex}, got ${sum.algorithm}:${digest} (${writer.accepted} bytes written to ${o.target})`,
      );
    }
    return { bytes: writer.accepted, digest, retries };
  } finally {
    await writer.close();
  }
}

interface Transfer {
  o: WriteImageOptions;
  format: ImageFormat;
  decode: Decoder;
  writer: ImageWriter | DirectTarget;
  /** The zstd program when it writes the target itself (DirectTarget). */
  zstd: string | undefined;
  /** ETag or Last-Modified of the first response, sent as If-Range so a changed file is never spliced. */
  validator: string | undefined;
  total: number | undefined;
  lastReport: number;
}

async function withRetries(t: Transfer): Promise<number> {
  const max = t.o.maxRetries ?? 9;
  let failures = 0;
  let retries = 0;
  for (;;) {
    const before = t.writer.accepted;
    try {
      await attempt(t);
      return retries;
    } catch (err) {
      const e = err instanceof TransferError ? err : new TransferError((err as Error).message, false);
      if (t.writer.accepted > before) failures = 0;
      failures++;
      if (!e.retryable) throw new Error(`${e.message} (${t.writer.accepted} bytes written to ${t.o.target})`, { cause: err });
      if (failures > max) {
        throw new Error(`download of ${t.o.url} failed ${failures} times in a row, last: ${e.message} (${t.writer.accepted} bytes written to ${t.o.target})`, { cause: err });
      }
      retries++;
      await (t.o.sleep ?? sleep)((t.o.backoffMs ?? defaultBackoff)(failures));
    }
  }
}

/** One GET from where the writer stands to the end of the image. */
async function attempt(t: Transfer): Promise<void> {
  const resume = t.writer.accepted;
  const headers: Record<string, string> = {};
  if (t.format === 'raw' && resume > 0) {
    headers.range = `bytes=${resume}-`;
    if (t.validator) headers['if-range'] = t.validator;
  }
  let res: HttpResponse;
  try {
    res = await t.o.httpGet(t.o.url, headers);
  } catch (err) {
    throw new TransferError(`cannot fetch ${t.o.url}: ${reason(err)}`, true);
  }
  try {
    const skip = startOffset(t, res, resume);
    if (t.writer instanceof DirectTarget) await pumpDirect(t, t.writer, res.body);
    else await pump(t, t.writer, res.body, skip);
  } finally {
    res.abort();
  }
}

/** Checks the status, learns the total size, and says how many decoded bytes to skip before writing. */
function startOffset(t: Transfer, res: HttpResponse, resume: number): number {
  if (res.status >= 500 || res.status === 408 || res.status === 429) throw new TransferError(`HTTP ${res.status} from ${t.o.url}`, true);
  if (res.status !== 200 && res.status !== 206) throw new TransferError(`HTTP ${res.status} from ${t.o.url}`, false);
  t.validator ??= res.headers.etag ?? res.headers['last-modified'];
  if (res.status === 206) {
    const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers['content-range'] ?? '');
    if (!m || Number(m[1]) !== resume) throw new TransferError(`server answered range ${resume}- with "${res.headers['content-range']}"`, true);
    if (m[2] !== '*') t.total = Number(m[2]);
    return 0;
  }
  const len = t.format === 'raw' ? res.headers['content-length'] : res.headers['x-uncompressed-length'];
  if (len !== undefined && /^\d+$/.test(len)) t.total = Number(len);
  return resume;
}

/** Decodes the body into the writer; the first `skip` bytes were written before and are only re-hashed and compared. */
async function pump(t: Transfer, writer: ImageWriter, body: Bytes, skip: number): Promise<void> {
  let networkError: unknown;
  const tracked = trackErrors(body, (err) => (networkError = err));
  const check = skip > 0 ? { hash: createHash(writer.algorithm), want: await writer.digestSoFar(), left: skip } : undefined;
  try {
    for await (const chunk of t.decode(tracked)) {
      let data = chunk;
      if (check && check.left > 0) {
        const n = Math.min(check.left, data.length);
        check.hash.update(data.subarray(0, n));
        check.left -= n;
        data = data.subarray(n);
        if (check.left === 0 && check.hash.digest('hex') !== check.want) {
          throw new TransferError(`the image at ${t.o.url} changed while it was being written (the first ${skip} bytes differ on the retry)`, false);
        }
      }
      if (data.length) await writer.push(data);
      report(t, false);
    }
  } catch (err) {
    if (networkError !== undefined) throw new TransferError(`connection lost: ${reason(networkError)}`, true);
    if (err instanceof TransferError) throw err;
    throw new TransferError(`cannot decode the ${t.format} image: ${reason(err)}`, false);
  }
  if (networkError !== undefined) throw new TransferError(`connection lost: ${reason(networkError)}`, true);
  if (check && check.left > 0) throw new TransferError(`the image at ${t.o.url} is shorter than the ${skip} bytes already written`, false);
  if (t.total !== undefined && t.writer.accepted < t.total) throw new TransferError(`stream ended at ${t.writer.accepted} of ${t.total} bytes`, true);
}

/** The zstd program decodes the whole body straight onto the target, from offset 0. */
async function pumpDirect(t: Transfer, target: DirectTarget, body: Bytes): Promise<void> {
  let networkError: unknown;
  const tracked = trackErrors(body, (err) => (networkError = err));
  try {
    await target.decode(tracked, t.zstd!, ['-dc', '-q', '--no-sparse'], () => report(t, false));
  } catch (err) {
    if (networkError !== undefined) throw new TransferError(`connection lost: ${reason(networkError)}`, true);
    if (err instanceof DecodeFailure) throw new TransferError(`cannot decode the ${t.format} image: ${err.message}`, false);
    throw new TransferError(`cannot decode the ${t.format} image: ${reason(err)}`, false);
  }
  if (networkError !== undefined) throw new TransferError(`connection lost: ${reason(networkError)}`, true);
  if (t.total !== undefined && target.written < t.total) throw new TransferError(`stream ended at ${target.written} of ${t.total} bytes`, true);
}

async function* trackErrors(body: Bytes, onError: (err: unknown) => void): Bytes {
  try {
    yield* body;
  } catch (err) {
    onError(err);
    throw err;
  }
}

function report(t: Transfer, force: boolean): void {
  if (!t.o.onProgress) return;
  const now = (t.o.now ?? Date.now)();
  if (!force && now - t.lastReport < (t.o.progressIntervalMs ?? 1000)) return;
  t.lastReport = now;
  const total = t.total !== undefined && t.total >= t.writer.accepted ? t.total : undefined;
  t.o.onProgress(total === undefined ? { bytesDone: t.writer.accepted } : { bytesDone: t.writer.accepted, bytesTotal: total });
}

function reason(err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  const msg = e?.message ?? String(err);
  return code && !msg.includes(code) ? `${msg} (${code})` : msg;
}
