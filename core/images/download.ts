import { createWriteStream } from 'node:fs';
import { rm, stat, truncate } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDragonflyError } from '../shared/errors.ts';
import { bytesText } from './space.ts';

export interface DownloadProgress {
  bytesDone: number;
  /** Whole file size when the server says it; absent when unknown. */
  bytesTotal?: number;
}

export interface DownloadOptions {
  url: string;
  /** The .part file; bytes already in it are kept and the rest is asked for with Range. */
  partPath: string;
  onProgress?: (p: DownloadProgress) => void;
  /** Attempts in a row that add no byte before giving up; default 5. */
  maxStalledAttempts?: number;
  /** Wait before attempt n (1-based) after a failure, ms; default 500 ms doubling to 15 s. */
  backoffMs?: (n: number) => number;
  fetch?: typeof fetch;
  /** A connection that delivers no byte for this long is dropped and resumed, ms; default 60000. */
  idleTimeoutMs?: number;
  /** Largest file accepted, bytes; a larger one is refused (by its announced size, else when it passes this) and its .part removed. Default: no limit. */
  maxBytes?: number;
  /** Called with the bytes still to come when the server announces the size, before any is written; throws to refuse (no free space). */
  checkSpace?: (bytes: number) => Promise<void>;
}

/** A download that must not be retried: the file is larger than the cap. Its .part is removed. */
export class DownloadTooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DownloadTooLargeError';
  }
}

async function sizeOf(path: string): Promise<number> {
  return (await stat(path).catch(() => undefined))?.size ?? 0;
}

/** "bytes 100-199/1000" → { start: 100, total: 1000 }; total absent for "*". */
export function parseContentRange(v: string | null): { start: number; total?: number } | undefined {
  const m = v ? /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(v.trim()) : null;
  if (!m) return undefined;
  return { start: Number(m[1]), total: m[2] === '*' ? undefined : Number(m[2]) };
}

/**
 * Downloads `url` into `partPath`, resuming from what the file already holds (RFC 9110 §14
 * Range requests). A server that ignores Range (200) restarts the file from zero. Returns the
 * final size. A dropped connection retries; only repeated attempts without progress give up.
 */
export async function downloadResumable(o: DownloadOptions): Promise<number> {
  const max = o.maxStalledAttempts ?? 5;
  const backoff = o.backoffMs ?? ((n) => Math.min(15_000, 500 * 2 ** (n - 1)));
  let stalled = 0;
  let lastError: unknown;
  for (;;) {
    const before = await sizeOf(o.partPath);
    try {
      const done = await attempt(o, before);
      if (done !== undefined) return done;
    } catch (err) {
      lastError = err;
      if (err instanceof DownloadTooLargeError) await rm(o.partPath, { force: true });
      if (!retryable(err)) throw err;
    }
    stalled = (await sizeOf(o.partPath)) > before ? 0 : stalled + 1;
    if (stalled >= max) throw new Error(`download of ${o.url} failed after ${max} attempts without progress: ${(lastError as Error)?.message ?? 'unknown error'}`);
    await sleep(backoff(stalled || 1));
  }
}

/** Network trouble is retried; a refusal (status, size cap, no space) is not. */
function retryable(err: unknown): boolean {
  if (err instanceof HttpStatusError) return err.retryable;
  if (err instanceof DownloadTooLargeError) return false;
  return !isDragonflyError(err);
}

export class HttpStatusError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** One request; returns the final size when the file is complete, undefined to try again. */
async function attempt(o: DownloadOptions, have: number): Promise<number | undefined> {
  const f = o.fetch ?? fetch;
  const abort = new AbortController();
  const idle = new IdleTimer(o.idleTimeoutMs ?? 60_000, () => abort.abort(new Error(`GET ${o.url}: no data for ${o.idleTimeoutMs ?? 60_000} ms`)));
  try {
    return await attemptWith(o, have, f, abort.signal, idle);
  } finally {
    idle.stop();
  }
}

/** Fires when not poked for `ms`; a stalled mirror must not hang a download forever. */
class IdleTimer {
  private timer: NodeJS.Timeout;
  constructor(
    private readonly ms: number,
    private readonly fire: () => void,
  ) {
    this.timer = setTimeout(fire, ms);
  }
  poke(): void {
    this.timer.refresh();
  }
  stop(): void {
    clearTimeout(this.timer);
  }
}

async function attemptWith(o: DownloadOptions, have: number, f: typeof fetch, signal: AbortSignal, idle: IdleTimer): Promise<number | undefined> {
  const res = await f(o.url, { headers: have > 0 ? { range: `bytes=${have}-` } : {}, redirect: 'follow', signal });
  if (res.status === 416 && have > 0) {
    await res.body?.cancel();
    const total = parseContentRange(res.headers.get('content-range')?.replace('*/', '0-0/') ?? null)?.total;
    if (total === have) return have; // the .part already holds the whole file
    await truncate(o.partPath, 0);
    return undefined;
  }
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
    throw new HttpStatusError(`GET ${o.url} answered ${res.status} ${res.statusText}`, res.status >= 500 || res.status === 408 || res.status === 429);
  }
  const range = res.status === 206 ? parseContentRange(res.headers.get('content-range')) : undefined;
  const resume = range !== undefined && range.start === have;
  if (res.status === 206 && !resume) {
    await res.body?.cancel();
    await truncate(o.partPath, 0);
    return undefined;
  }
  const start = resume ? have : 0;
  const length = Number(res.headers.get('content-length') ?? NaN);
  const total = range?.total ?? (Number.isFinite(length) ? start + length : undefined);
  await beforeBody(o, res, start, total);
  await writeBody(o, res, start, total, idle);
  const size = await sizeOf(o.partPath);
  if (total !== undefined && size !== total) throw new Error(`GET ${o.url} ended at ${size} of ${total} bytes`);
  return size;
}

/** The announced size against the cap and the free space, before a byte is written. */
async function beforeBody(o: DownloadOptions, res: Response, start: number, total: number | undefined): Promise<void> {
  try {
    if (total !== undefined && o.maxBytes !== undefined && total > o.maxBytes) {
      throw new DownloadTooLargeError(`GET ${o.url} announces ${bytesText(total)}, larger than the limit of ${bytesText(o.maxBytes)} (the image cache's maxImageBytes)`);
    }
    if (total !== undefined) await o.checkSpace?.(total - start);
  } catch (err) {
    await res.body?.cancel();
    throw err;
  }
}

async function writeBody(o: DownloadOptions, res: Response, start: number, total: number | undefined, idle: IdleTimer): Promise<void> {
  if (!res.body) throw new Error(`GET ${o.url} has no body`);
  let done = start;
  o.onProgress?.({ bytesDone: done, bytesTotal: total });
  const count = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      if (o.maxBytes !== undefined && done > o.maxBytes) {
        return cb(new DownloadTooLargeError(`GET ${o.url} sent more than the limit of ${bytesText(o.maxBytes)} (the image cache's maxImageBytes)`));
      }
      idle.poke();
      o.onProgress?.({ bytesDone: done, bytesTotal: total });
      cb(null, chunk);
    },
  });
  const out = createWriteStream(o.partPath, { flags: start > 0 ? 'a' : 'w' });
  await pipeline(Readable.fromWeb(res.body as never), count, out);
}
