/**
 * Cuts a byte stream into pieces: piece i is `lengthOf(i)` bytes, until `lengthOf` answers
 * undefined (the rest of the stream is read and dropped). A short last piece at the end of the
 * stream is yielded only with `keepShortLast`. Used for fan-out chunks on both sides: the
 * control plane's manifest and the agent's reading of a run of chunks.
 */
export async function* cutBytes(bytes: AsyncIterable<Uint8Array>, lengthOf: (i: number) => number | undefined, keepShortLast = false): AsyncGenerator<Buffer> {
  let i = 0;
  let want = lengthOf(0);
  let parts: Uint8Array[] = [];
  let filled = 0;
  for await (const b of bytes) {
    let off = 0;
    while (off < b.length && want !== undefined) {
      const n = Math.min(want - filled, b.length - off);
      parts.push(b.subarray(off, off + n));
      filled += n;
      off += n;
      if (filled === want) {
        yield Buffer.concat(parts, want);
        parts = [];
        filled = 0;
        want = lengthOf(++i);
      }
    }
  }
  if (keepShortLast && filled > 0) yield Buffer.concat(parts, filled);
}
