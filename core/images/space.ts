/**
 * Limits that keep a hostile or corrupt image from filling the laptop's disk: a cap on the
 * size an image may claim, and a free-space check against the largest output it can produce.
 */
import { statfs } from 'node:fs/promises';
import { DragonflyError } from '../shared/errors.ts';

/**
 * Largest raw disk (and downloaded file) the cache accepts by default, bytes: 2 TiB. Cloud
 * images are a few GiB; a header claiming more than this is corrupt or hostile.
 */
export const DEFAULT_MAX_IMAGE_BYTES = 2 * 1024 ** 4;

/** "1.5 GiB": for messages; the exact byte count is always given beside it. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = n;
  let u = 0;
  for (; v >= 1024 && u < units.length - 1; u++) v /= 1024;
  return `${u === 0 ? v : v.toFixed(v < 10 ? 2 : 1).replace(/\.?0+$/, '')} ${units[u]}`;
}

/** `n bytes (1.5 GiB)`; a bigint prints exactly past 2^53. */
export const bytesText = (n: number | bigint) => `${n} bytes (${formatBytes(Number(n))})`;

/**
 * Upper estimate of the gzip copy of a raw disk holding at most `dataBytes` of data, the rest
 * (`zeroBytes`) known to be zeros (unallocated clusters, sparse holes). Data: zlib's
 * deflateBound for the default window and memLevel (Node's createGzip), plus the gzip
 * wrapper. Zeros: a 258-byte match costs at most about 37 bits in a dynamic block, so 1/32
 * of their size is a safe ceiling (zlib reaches about 1/1000 on long runs).
 */
export function servedBytesBound(dataBytes: number, zeroBytes: number): number {
  const deflate = dataBytes + Math.floor(dataBytes / 4096) + Math.floor(dataBytes / 16384) + Math.floor(dataBytes / 2 ** 25) + 7;
  return deflate + 18 + Math.ceil(zeroBytes / 32) + (1 << 20);
}

/** Bytes an unprivileged writer may still use on the filesystem holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/** Refuses work whose output can reach `needBytes` when the filesystem of `dir` has less free. */
export async function checkFreeSpace(dir: string, needBytes: number, what: string): Promise<void> {
  const free = await freeBytes(dir);
  if (needBytes <= free) return;
  throw new DragonflyError(
    'DF_ERR_UNAVAILABLE',
    `not enough free space for ${what}: it needs up to ${bytesText(needBytes)} in ${dir}, but only ${bytesText(free)} are free there`,
    { needBytes, freeBytes: free, dir },
  );
}

/**
 * Passes `data` through, checking before the first chunk and then every `everyBytes` that the
 * filesystem of `dir` keeps at least `reserveBytes` free. For sources whose output cannot be
 * bounded before converting (gz, xz, zst streams): the conversion stops before the disk is full.
 */
export async function* keepFree<T extends Uint8Array>(data: AsyncIterable<T>, dir: string, reserveBytes: number, what: string, everyBytes = 64 << 20): AsyncGenerator<T> {
  let sinceCheck = everyBytes;
  for await (const chunk of data) {
    if (sinceCheck >= everyBytes) {
      sinceCheck = 0;
      const free = await freeBytes(dir);
      if (free < reserveBytes) {
        throw new DragonflyError('DF_ERR_UNAVAILABLE', `${what} stopped: only ${bytesText(free)} are free in ${dir}, less than the ${bytesText(reserveBytes)} kept free`, { freeBytes: free, reserveBytes, dir });
      }
    }
    sinceCheck += chunk.length;
    yield chunk;
  }
}
