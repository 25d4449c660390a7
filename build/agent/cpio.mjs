// cpio "newc" archives (the initramfs format, Documentation/driver-api/early-userspace/
// buffer-format.rst), written in memory so the image needs no root, no cpio binary, and can
// hold device nodes (/dev/console) that an unprivileged build could not mknod.

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

/** @typedef {{ path: string, type: 'dir'|'file'|'symlink'|'char', mode?: number, data?: Uint8Array, target?: string, major?: number, minor?: number }} CpioEntry */

/**
 * Encode entries (paths relative to the archive root, no leading slash) as one newc archive
 * ending with the TRAILER!!! record. Owners are root, times 0, so equal inputs give equal bytes.
 * @param {CpioEntry[]} entries
 * @returns {Buffer}
 */
export function encodeCpio(entries) {
  const parts = [];
  let ino = 1;
  for (const e of entries) parts.push(...record(e, ino++));
  parts.push(...record({ path: 'TRAILER!!!', type: 'file', mode: 0, data: new Uint8Array(0) }, 0, true));
  return Buffer.concat(parts);
}

function record(e, ino, trailer = false) {
  const body = e.type === 'symlink' ? Buffer.from(e.target ?? '') : Buffer.from(e.data ?? []);
  const name = Buffer.from(e.path.replace(/^\/+/, '') + '\0');
  const typeBits = { dir: S_IFDIR, file: S_IFREG, symlink: S_IFLNK, char: S_IFCHR }[e.type];
  const perm = e.mode ?? (e.type === 'dir' ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644);
  const fields = [
    ino, trailer ? 0 : typeBits | perm, 0, 0, e.type === 'dir' ? 2 : 1, 0,
    e.type === 'dir' || e.type === 'char' ? 0 : body.length,
    0, 0, e.major ?? 0, e.minor ?? 0, name.length, 0,
  ];
  const header = Buffer.from('070701' + fields.map((f) => f.toString(16).padStart(8, '0')).join(''), 'ascii');
  const out = [header, name, pad(header.length + name.length)];
  if (e.type === 'file' || e.type === 'symlink') out.push(body, pad(body.length));
  return out;
}

/** newc aligns both the name and the data to 4 bytes. */
function pad(n) {
  return Buffer.alloc((4 - (n % 4)) % 4);
}

/**
 * Decode newc archives back into entries, in archive order. Several archives one after the
 * other (an initramfs made of layers) are read as one list, as the kernel unpacks them: a
 * later entry with the same path replaces the earlier one for whoever keeps the last. Zero
 * bytes between archives are skipped (the kernel allows such padding).
 * @param {Uint8Array} buf
 * @returns {CpioEntry[]}
 */
export function decodeCpio(buf) {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const entries = [];
  let at = 0;
  const align = (n) => (n + 3) & ~3;
  while (at < b.length) {
    if (b[at] === 0) { at++; continue; }
    const magic = b.toString('ascii', at, at + 6);
    if (magic !== '070701' && magic !== '070702') throw new Error(`cpio: no newc header at byte ${at} (found ${JSON.stringify(magic)})`);
    if (at + 110 > b.length) throw new Error(`cpio: header at byte ${at} is cut short`);
    const field = (i) => parseInt(b.toString('ascii', at + 6 + i * 8, at + 14 + i * 8), 16);
    const mode = field(1), size = field(6), major = field(9), minor = field(10), nameSize = field(11);
    const name = b.toString('utf8', at + 110, at + 110 + nameSize - 1);
    const dataAt = align(at + 110 + nameSize);
    if (dataAt + size > b.length) throw new Error(`cpio: ${name} (${size} bytes) runs past the end of the archive`);
    const data = b.subarray(dataAt, dataAt + size);
    at = align(dataAt + size);
    if (name === 'TRAILER!!!') continue;
    const kind = mode & 0o170000;
    const perm = mode & 0o7777;
    if (kind === S_IFDIR) entries.push({ path: name, type: 'dir', mode: perm });
    else if (kind === S_IFREG) entries.push({ path: name, type: 'file', mode: perm, data });
    else if (kind === S_IFLNK) entries.push({ path: name, type: 'symlink', target: data.toString('utf8') });
    else if (kind === S_IFCHR) entries.push({ path: name, type: 'char', mode: perm, major, minor });
    else throw new Error(`cpio: ${name} has a file type this reader does not know (mode ${mode.toString(8)})`);
  }
  return entries;
}
