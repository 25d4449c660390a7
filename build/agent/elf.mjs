// What the dynamic loader of the agent image will look for: the interpreter and DT_NEEDED
// libraries of every ELF file in the image, resolved inside the image itself (not on the
// build host), so an image whose /bin/kexec would die with "error while loading shared
// libraries" is refused when it is built and caught by the tests.

/**
 * Where glibc's loader looks when there is no /etc/ld.so.cache (the image has none) and no
 * LD_LIBRARY_PATH (init sets none): its built-in system directories, as `ld.so --help`
 * prints them on Debian amd64.
 */
export const LOADER_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib', '/usr/lib'];

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;
const DT_RPATH = 15n;
const DT_RUNPATH = 29n;

/**
 * The dynamic-linking facts of a 64-bit little-endian ELF file: its program interpreter, the
 * sonames it needs and its RUNPATH/RPATH directories. null for anything else (scripts, data,
 * kernel modules have no program headers and give an empty result).
 * @param {Uint8Array} buf
 * @returns {{ interp?: string, needed: string[], runpath: string[] } | null}
 */
export function elfDynamic(buf) {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46) return null;
  if (b[4] !== 2 || b[5] !== 1) return null; // ELFCLASS64, ELFDATA2LSB
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  const phnum = b.readUInt16LE(0x38);
  const segs = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (o + 56 > b.length) throw new Error(`ELF program header ${i} lies past the end of the file`);
    segs.push({ type: b.readUInt32LE(o), offset: Number(b.readBigUInt64LE(o + 8)), vaddr: Number(b.readBigUInt64LE(o + 16)), filesz: Number(b.readBigUInt64LE(o + 32)) });
  }
  const cstr = (at) => {
    const end = b.indexOf(0, at);
    return b.toString('utf8', at, end < 0 ? b.length : end);
  };
  const result = { needed: [], runpath: [] };
  const interp = segs.find((s) => s.type === PT_INTERP);
  if (interp) result.interp = cstr(interp.offset);
  const dyn = segs.find((s) => s.type === PT_DYNAMIC);
  if (!dyn) return result;
  const tags = [];
  for (let o = dyn.offset; o + 16 <= dyn.offset + dyn.filesz; o += 16) {
    const tag = b.readBigInt64LE(o);
    if (tag === 0n) break;
    tags.push({ tag, val: b.readBigUInt64LE(o + 8) });
  }
  const strtabAddr = Number(tags.find((t) => t.tag === DT_STRTAB)?.val ?? -1n);
  const load = segs.find((s) => s.type === PT_LOAD && strtabAddr >= s.vaddr && strtabAddr < s.vaddr + s.filesz);
  if (!load) throw new Error('ELF dynamic section has no string table inside a loaded segment');
  const strtab = strtabAddr - load.vaddr + load.offset;
  for (const t of tags) {
    if (t.tag === DT_NEEDED) result.needed.push(cstr(strtab + Number(t.val)));
    if (t.tag === DT_RUNPATH || t.tag === DT_RPATH) result.runpath.push(...cstr(strtab + Number(t.val)).split(':').filter(Boolean));
  }
  return result;
}

/**
 * A path looked up in a list of archive entries (paths without a leading slash), following
 * symbolic links inside the archive as the kernel would (sbin -> bin, usr/bin -> ../bin).
 * Returns the entry's own path, or undefined when nothing is there.
 * @param {Map<string, import('./cpio.mjs').CpioEntry>} byPath
 * @param {string} path absolute or relative to the archive root
 */
export function lookupInImage(byPath, path) {
  let parts = path.split('/').filter((p) => p && p !== '.');
  const done = [];
  for (let hops = 0; parts.length; ) {
    const part = parts.shift();
    if (part === '..') { done.pop(); continue; }
    const here = [...done, part].join('/');
    const e = byPath.get(here);
    if (!e) return undefined;
    if (e.type === 'symlink') {
      if (++hops > 40) return undefined; // a loop, as ELOOP
      const t = e.target ?? '';
      if (t.startsWith('/')) done.length = 0;
      parts = [...t.split('/').filter((p) => p && p !== '.'), ...parts];
      continue;
    }
    done.push(part);
  }
  return done.join('/');
}

/**
 * Every ELF file in the image whose interpreter or needed libraries the image's loader would
 * not find: one line per problem, naming the file and the library. Empty when all resolve.
 * @param {import('./cpio.mjs').CpioEntry[]} entries later entries replace earlier ones
 * @param {readonly string[]} [loaderDirs] the loader's system directories (another architecture's for a foreign image)
 * @returns {string[]}
 */
export function unresolvedLibraries(entries, loaderDirs = LOADER_DIRS) {
  const byPath = new Map(entries.map((e) => [e.path.replace(/^\/+/, ''), e]));
  const problems = [];
  const elves = [];
  for (const [path, e] of byPath) {
    if (e.type !== 'file' || !e.data) continue;
    const elf = elfDynamic(e.data);
    if (elf) elves.push({ path, elf });
  }
  // The loader is mapped before any library and answers to its own soname: libc's NEEDED
  // ld-linux-x86-64.so.2 is the program interpreter already there, not a file to search.
  const loaders = new Set(elves.map(({ elf }) => elf.interp).filter((i) => i && lookupInImage(byPath, i)).map((i) => i.split('/').at(-1)));
  for (const { path, elf } of elves) {
    if (elf.interp && !lookupInImage(byPath, elf.interp)) problems.push(`${path}: its loader ${elf.interp} is not in the image`);
    const origin = '/' + path.split('/').slice(0, -1).join('/');
    const dirs = [...elf.runpath.map((d) => d.replace(/\$\{?ORIGIN\}?/g, origin)), ...loaderDirs];
    for (const soname of elf.needed) {
      if (loaders.has(soname)) continue;
      const found = soname.includes('/') ? lookupInImage(byPath, soname) : dirs.map((d) => lookupInImage(byPath, `${d}/${soname}`)).find(Boolean);
      if (!found) problems.push(`${path} needs ${soname}, which is in none of ${dirs.join(', ')} in the image`);
    }
  }
  return problems;
}
