/**
 * Where file bytes come from: a file on disk (read by offset, one small read-ahead
 * buffer), bytes in memory (generated boot scripts), or a readable stream (kept from the
 * oldest unacknowledged byte on, since a session only ever reads forward from there).
 */
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { BlockReader } from './session.ts';

/** What a resolver may return from `open()`. */
export type TftpSource = BlockReader | Readable | Uint8Array;

/** Read-ahead per transfer, bytes: one window of 16 x 1468 fits, and 20 transfers cost 5 MiB. */
const READ_AHEAD = 256 * 1024;

/** A disk file; the caller hands over the handle and the reader closes it. */
export function fileHandleReader(handle: FileHandle): BlockReader {
  let cacheOffset = 0;
  let cache = new Uint8Array(0);
  return {
    async read(offset, length) {
      if (offset >= cacheOffset && offset + length <= cacheOffset + cache.length) {
        return cache.subarray(offset - cacheOffset, offset - cacheOffset + length);
      }
      const buf = Buffer.allocUnsafe(Math.max(length, READ_AHEAD));
      const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
      cacheOffset = offset;
      cache = buf.subarray(0, bytesRead);
      return cache.subarray(0, Math.min(length, bytesRead));
    },
    close: () => handle.close(),
  };
}

export function bytesReader(bytes: Uint8Array): BlockReader {
  return {
    read: async (offset, length) => bytes.subarray(offset, offset + length),
    close: () => {},
  };
}

/**
 * A stream, for content generated on the fly. Offsets must not go back before the
 * oldest one asked for since the last read (true of TftpSession: it reads from the
 * first unacknowledged block on).
 */
export function streamReader(stream: Readable): BlockReader {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let base = 0; // file offset of buffered[0]
  let buffered = Buffer.alloc(0);
  let ended = false;
  return {
    async read(offset, length) {
      if (offset < base) throw new Error(`stream cannot go back to ${offset} (kept from ${base})`);
      while (!ended && base + buffered.length < offset + length) {
        const next = await iterator.next();
        if (next.done) ended = true;
        else buffered = Buffer.concat([buffered, Buffer.from(next.value)]);
      }
      const drop = Math.min(offset - base, buffered.length); // acknowledged bytes are never read again
      buffered = buffered.subarray(drop);
      base += drop;
      return offset > base ? new Uint8Array(0) : buffered.subarray(0, length);
    },
    close: () => {
      stream.destroy();
    },
  };
}

function isBlockReader(s: TftpSource): s is BlockReader {
  return typeof (s as BlockReader).read === 'function' && typeof (s as BlockReader).close === 'function' && !('pipe' in s);
}

export function toBlockReader(source: TftpSource): BlockReader {
  if (source instanceof Uint8Array) return bytesReader(source);
  if (isBlockReader(source)) return source;
  return streamReader(source);
}
