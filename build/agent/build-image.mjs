#!/usr/bin/env node
// Builds the agent boot image: dist/agent-image/vmlinuz + dist/agent-image/initramfs.img.
// Debian kernel and busybox-static (apt-get download, cached in .cache/agent-image/), the
// build host's Node binary and its shared libraries, kexec from Debian's kexec-tools with the
// libraries it needs (the host's, or the Debian packages' when the host lacks them), the agent
// bundle, /init. Every ELF file's libraries are checked to resolve inside the image.
// Re-running with unchanged inputs does nothing.
// Usage: node build/agent/build-image.mjs [--force] [--reference] [--out DIR] [--arch arm64]
//   --arch arm64 builds dist/agent-image-arm64/ for arm64 machines from Debian's arm64 packages
//                only (kernel, busybox, Debian's nodejs and what it needs, kexec, zstd), fetched
//                through a private apt state (debian-arch.mjs); the host's dpkg is not changed.
//   --out DIR    writes the image to DIR instead of dist/agent-image (npm start's first-start
//                build and its tests use this; the download cache stays in .cache/agent-image)
//   --reference  builds dist/agent-image-reference/ instead: the same kernel, drivers and /init
//                without Node and the agent (init registers with busybox wget); benchmarks
//                compare against it to show what Node costs.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleAgent } from './bundle.mjs';
import { encodeCpio } from './cpio.mjs';
import { archInfo, ensureForeignTool, foreignApt, nodeSharedBuiltins } from './debian-arch.mjs';
import { LOADER_DIRS, unresolvedLibraries } from './elf.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const cache = join(repo, '.cache/agent-image');

/** Drivers the image carries (plus what modules.dep says they need). NICs, storage, file systems. */
export const MODULES = [
  'virtio_net', 'virtio_pci', 'virtio_blk', 'virtio_scsi', 'virtio_rng',
  'e1000', 'e1000e', 'igb', 'ixgbe', 'i40e', 'ice', 'bnxt_en', 'mlx4_en', 'mlx4_core', 'mlx5_core', 'tg3', 'r8169',
  'ahci', 'nvme', 'megaraid_sas', 'mpt3sas', 'sd_mod',
  'ext4', 'vfat', 'nls_cp437', 'nls_ascii', 'nls_utf8', 'efivarfs',
  // ext4 asks for crc32c by name at mount (a softdep modules.dep does not list)
  'crc32c_generic', 'crc32c_intel',
];

const log = (m) => console.log(`build-image: ${m}`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.error}`);
  return r.stdout;
}

/** linux-image-amd64 is a metapackage; its Depends names the versioned kernel package. */
function kernelPackage() {
  const r = spawnSync('apt-cache', ['depends', 'linux-image-amd64'], { encoding: 'utf8' });
  const m = /Depends:\s*(linux-image-[0-9][^\s]*)/.exec(r.stdout ?? '');
  if (m) return m[1];
  const cached = existsSync(join(cache, 'debs')) ? readdirSync(join(cache, 'debs')).filter((f) => /^linux-image-[0-9]/.test(f)).sort() : [];
  if (cached.length) return cached.at(-1).split('_')[0]; // offline: use what we have
  throw new HostProblem('apt cannot resolve linux-image-amd64: the package lists are empty; run sudo apt-get update once');
}

function ensureDeb(pkg) {
  const dir = join(cache, 'debs');
  mkdirSync(dir, { recursive: true });
  const have = () => readdirSync(dir).filter((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb')).sort();
  if (!have().length) {
    log(`apt-get download ${pkg}`);
    run('apt-get', ['download', pkg], { cwd: dir });
  }
  return join(dir, have().at(-1));
}

function fileId(p) {
  const s = statSync(p);
  return `${p}:${s.size}:${s.mtimeMs}`;
}

/** Shared libraries of a dynamic binary as ldd reports them (absolute paths, loader included). */
export function parseLdd(text) {
  const libs = [];
  for (const line of text.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]);
  }
  return libs;
}

/** Sonames ldd could not find ("libxenctrl.so.4.17 => not found"). */
export function lddMissing(text) {
  return [...new Set([...text.matchAll(/^\s*(\S+)\s+=>\s+not found/gm)].map((m) => m[1]))];
}

/**
 * ldd of `bin`, failing with the names of the libraries it cannot find. `extraRoot`: a tree of
 * unpacked Debian packages searched before the host (LD_LIBRARY_PATH at its loader dirs).
 * Returns absolute paths as ldd prints them.
 */
function lddLibs(bin, extraRoot) {
  const out = lddOutput(bin, extraRoot);
  const missing = lddMissing(out);
  if (missing.length) throw new Error(`${bin} needs ${missing.join(', ')}, which ldd finds neither on this host${extraRoot ? ` nor in ${extraRoot}` : ''}`);
  return parseLdd(out);
}

/** What ldd prints for `bin`, with `extraRoot`'s loader dirs searched first when given. */
function lddOutput(bin, extraRoot) {
  const env = extraRoot ? { ...process.env, LD_LIBRARY_PATH: LOADER_DIRS.map((d) => join(extraRoot, d)).join(':') } : process.env;
  return run('ldd', [bin], { env });
}

/** modules.dep: "kernel/a/b.ko: kernel/c.ko kernel/d.ko" -> name -> { path, deps }. */
export function parseModulesDep(text) {
  const map = new Map();
  for (const line of text.split('\n')) {
    const [path, rest] = line.split(':');
    if (!rest && rest !== '') continue;
    map.set(moduleName(path), { path, deps: rest.trim().split(/\s+/).filter(Boolean) });
  }
  return map;
}

/** Module names use '_' and '-' interchangeably (kmod treats them as equal). */
export const moduleName = (path) => basename(path).replace(/\.ko(\.\w+)?$/, '').replace(/-/g, '_');

/** Every module file needed to load `wanted`, dependencies first is not required (depmod re-derives it). */
export function moduleClosure(dep, wanted) {
  const files = new Set();
  const missing = [];
  const visit = (path) => {
    if (files.has(path)) return;
    files.add(path);
    for (const d of dep.get(moduleName(path))?.deps ?? []) visit(d);
  };
  for (const w of wanted) {
    const m = dep.get(w.replace(/-/g, '_'));
    if (m) visit(m.path);
    else missing.push(w);
  }
  return { files: [...files].sort(), missing };
}

function extractKernel(deb, version) {
  const dir = join(cache, `kernel-${version}`);
  if (!existsSync(join(dir, '.done'))) {
    log(`extracting ${basename(deb)}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    run('sh', ['-c', `dpkg --fsys-tarfile "$1" | tar -x -C "$2" ./boot/vmlinuz-${version} ./lib/modules/${version}`, 'sh', deb, dir]);
    run('depmod', ['-b', dir, version]);
    writeFileSync(join(dir, '.done'), '');
  }
  return dir;
}

function extractBusybox(deb) {
  const dir = join(cache, `busybox-${process.pid}`); // per build: two builds may run at once
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  run('sh', ['-c', 'dpkg --fsys-tarfile "$1" | tar -x -C "$2" ./bin/busybox', 'sh', deb, dir]);
  return join(dir, 'bin/busybox');
}

/** The chosen modules and their dependencies in a staging tree, indexed by depmod for it alone. */
function stageModules(kdir, version) {
  const mdir = join(kdir, 'lib/modules', version);
  const { files, missing } = moduleClosure(parseModulesDep(readFileSync(join(mdir, 'modules.dep'), 'utf8')), MODULES);
  const builtin = readFileSync(join(mdir, 'modules.builtin'), 'utf8').split('\n').map(moduleName);
  const reallyMissing = missing.filter((m) => !builtin.includes(m));
  if (reallyMissing.length) log(`not in this kernel (skipped): ${reallyMissing.join(', ')}`);
  const stage = join(cache, `modules-stage-${process.pid}`);
  rmSync(stage, { recursive: true, force: true });
  const sdir = join(stage, 'lib/modules', version);
  for (const f of files) {
    mkdirSync(dirname(join(sdir, f)), { recursive: true });
    copyFileSync(join(mdir, f), join(sdir, f));
  }
  for (const f of ['modules.order', 'modules.builtin', 'modules.builtin.modinfo']) {
    if (existsSync(join(mdir, f))) copyFileSync(join(mdir, f), join(sdir, f));
  }
  run('depmod', ['-b', stage, version]);
  return { stage, count: files.length };
}

function treeEntries(root, prefix = '') {
  const entries = [];
  for (const name of readdirSync(join(root, prefix)).sort()) {
    const rel = join(prefix, name);
    const st = statSync(join(root, rel));
    if (st.isDirectory()) entries.push({ path: rel, type: 'dir' }, ...treeEntries(root, rel));
    else entries.push({ path: rel, type: 'file', data: readFileSync(join(root, rel)), mode: st.mode & 0o777 });
  }
  return entries;
}

function dirsOf(paths) {
  const dirs = new Set();
  for (const p of paths) for (let d = dirname(p); d !== '.' && d !== '/'; d = dirname(d)) dirs.add(d.replace(/^\//, ''));
  return [...dirs].sort().map((d) => ({ path: d, type: 'dir' }));
}

/** The slow-changing layer: directories, busybox, Node, kexec and their libraries, kernel modules. */
function baseEntries({ busybox, nodeBin, libs, stage, withAgent, tools = [], emulator }) {
  // A foreign busybox lists its applets under user-mode emulation (it is static).
  const applets = (emulator ? run(emulator, [busybox, '--list']) : run(busybox, ['--list'])).split('\n').filter((a) => a && a !== 'busybox');
  const entries = [
    ...['bin', 'dev', 'proc', 'sys', 'run', 'tmp', 'etc', 'root', 'agent', 'mnt', 'usr'].map((d) => ({ path: d, type: 'dir' })),
    { path: 'dev/console', type: 'char', mode: 0o600, major: 5, minor: 1 }, // the kernel opens it before /init runs
    ...['sbin', 'usr/bin', 'usr/sbin'].map((p) => ({ path: p, type: 'symlink', target: p === 'sbin' ? 'bin' : '../bin' })),
    fileAt('bin/busybox', busybox),
    ...applets.map((a) => ({ path: `bin/${a}`, type: 'symlink', target: 'busybox' })),
    { path: 'etc/hosts', type: 'file', data: Buffer.from('127.0.0.1 localhost\n'), mode: 0o644 },
    { path: 'etc/passwd', type: 'file', data: Buffer.from('root:x:0:0:root:/root:/bin/sh\n'), mode: 0o644 },
  ];
  if (withAgent) {
    entries.push(fileAt('bin/node', nodeBin));
    for (const t of tools) entries.push(fileAt(`bin/${t.name}`, t.bin));
    const libPaths = libs.map((l) => l.at);
    entries.push(...dirsOf(libPaths).filter((d) => !entries.some((b) => b.path === d.path)));
    entries.push(...libs.map((l) => fileAt(l.at.replace(/^\//, ''), l.src)));
  }
  return [...entries, ...treeEntries(stage)];
}

/** The fast-changing layer, unpacked over the base: /init, the DHCP script, the agent. */
function topEntries({ agentJs, withAgent }) {
  const entries = [fileAt('init', join(here, 'init.sh')), fileAt('etc/udhcpc.script', join(here, 'udhcpc.sh'))];
  if (withAgent) {
    entries.push(fileAt('agent/agent.js', agentJs, 0o644));
    entries.push({ path: 'agent/package.json', type: 'file', data: Buffer.from('{ "type": "commonjs" }\n'), mode: 0o644 });
  }
  return entries;
}

function fileAt(path, src, mode = 0o755) {
  return { path, type: 'file', data: readFileSync(src), mode };
}

function sha256(parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

function zstd(entries, target, level) {
  const cpioPath = `${target}.${process.pid}.cpio`;
  const cpio = encodeCpio(entries);
  writeFileSync(cpioPath, cpio);
  log(`compressing ${(cpio.length / 1e6).toFixed(1)} MB with zstd -${level}`);
  run('zstd', [`-${level}`, '-T0', '-q', '-f', cpioPath, '-o', target]);
  rmSync(cpioPath);
  return cpio.length;
}

/**
 * The base layer (99 % of the bytes, minutes of zstd -19), cached by its own inputs so that
 * changing the agent or /init rebuilds only the small top layer.
 */
function ensureBase({ kdeb, bdeb, version, nodeBin, libs, withAgent, level, tools, arch, loaderDirs, emulator }) {
  const ids = [kdeb, bdeb, ...(withAgent ? [nodeBin, ...toolInputs(tools, libs)] : [])].map(fileId);
  const key = sha256([...ids, MODULES.join(','), String(withAgent), level, readFileSync(join(here, 'cpio.mjs')), readFileSync(join(here, 'elf.mjs'))]).slice(0, 16);
  // Per architecture: an arm64 build must not evict the host's cached base, nor the reverse.
  const prefix = `base-${withAgent ? 'agent' : 'reference'}-${arch ? `${arch}-` : ''}`;
  const file = join(cache, `${prefix}${key}.cpio.zst`);
  const meta = `${file}.json`;
  if (existsSync(file) && existsSync(meta)) return { file, ...JSON.parse(readFileSync(meta, 'utf8')) };
  const superseded = (f) => f.startsWith(prefix) && (arch || !/^base-\w+-[a-z0-9]+-/.test(f));
  for (const old of readdirSync(cache).filter(superseded)) rmSync(join(cache, old)); // superseded inputs
  const kdir = extractKernel(kdeb, version);
  const busybox = extractBusybox(bdeb);
  const { stage, count } = stageModules(kdir, version);
  try {
    const entries = baseEntries({ busybox, nodeBin, libs, stage, withAgent, tools, emulator });
    checkBase(entries, withAgent, loaderDirs);
    const cpioBytes = zstd(entries, file, level);
    writeFileSync(meta, JSON.stringify({ modules: count, cpioBytes }));
    return { file, modules: count, cpioBytes };
  } finally {
    rmSync(stage, { recursive: true, force: true });
    rmSync(dirname(dirname(busybox)), { recursive: true, force: true });
  }
}

/** Optional host binaries copied into the agent image (with their libraries). */
const AGENT_TOOLS = ['/usr/bin/zstd'];

/**
 * Programs the agent's actions run that come from Debian packages (not the build host), at
 * /bin/NAME in the image (/sbin is a link to /bin): kexec for the kexec action.
 */
export const DEB_TOOLS = [{ pkg: 'kexec-tools', bin: 'sbin/kexec' }];

/** What the base layer must hold for the agent to work; the build fails without it. */
export const REQUIRED_AGENT_FILES = ['bin/node', ...DEB_TOOLS.map((t) => `bin/${basename(t.bin)}`)];

/** Refuses a base layer that lacks a required program or whose programs would not find their libraries. */
export function checkBase(entries, withAgent, loaderDirs = LOADER_DIRS) {
  const paths = new Set(entries.map((e) => e.path));
  const absent = withAgent ? REQUIRED_AGENT_FILES.filter((p) => !paths.has(p)) : [];
  const problems = [...absent.map((p) => `${p} is missing`), ...unresolvedLibraries(entries, loaderDirs)];
  if (problems.length) throw new Error(`the agent image would be broken:\n  ${problems.join('\n  ')}`);
}

/** Files whose identity decides the base layer: the tools, their packages, their libraries. */
function toolInputs(tools, libs) {
  return [...tools.flatMap((t) => [t.bin, ...(t.debs ?? [])]), ...libs.map((l) => l.src)];
}

const installedOnHost = (pkgs) => {
  if (!pkgs.length) return new Set();
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...pkgs], { encoding: 'utf8' });
  return new Set((r.stdout ?? '').split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(/[ :]/)[0]));
};

/** Direct Depends/Pre-Depends of packages (real package names only; virtual ones are skipped). */
export function parseAptDepends(text) {
  return [...new Set([...text.matchAll(/^\s*\|?(?:Pre)?Depends:\s*([^\s<>]+)\s*$/gm)].map((m) => m[1].replace(/:any$/, '')))];
}

/**
 * A program from a Debian package with the libraries it needs: the package is unpacked into
 * .cache/agent-image/tool-PKG/; while ldd reports a library missing (neither on the host nor
 * unpacked yet), the Depends of the packages fetched so far that the host does not have are
 * fetched and unpacked too (kexec-tools -> libxenmisc4.17 -> libxencall1, ...). The list of
 * packages is remembered, so later builds need no apt-cache.
 */
function ensureDebTool({ pkg, bin }) {
  const root = join(cache, `tool-${pkg}`);
  const listFile = join(root, 'packages.json');
  const debFile = (p) => readdirSync(join(cache, 'debs')).filter((f) => f.startsWith(`${p}_`) && f.endsWith('.deb')).sort().at(-1);
  const resolved = () => {
    const { packages } = JSON.parse(readFileSync(listFile, 'utf8'));
    const debs = packages.map((p) => debFile(p)).map((f) => f && join(cache, 'debs', f));
    if (debs.some((d) => !d)) return undefined;
    return { bin: join(root, bin), debs, libs: lddLibs(join(root, bin), root) };
  };
  if (existsSync(listFile)) {
    try {
      const r = resolved();
      if (r) return withImagePaths(r, root);
    } catch (e) {
      log(`${pkg}: unpacked tree no longer complete (${e.message.split('\n')[0]}); resolving again`);
    }
  }
  const tmp = `${root}.${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const fetched = [];
  let next = [pkg];
  for (;;) {
    for (const p of next) {
      run('dpkg-deb', ['-x', ensureDeb(p), tmp]);
      fetched.push(p);
    }
    if (!existsSync(join(tmp, bin))) throw new Error(`${pkg} has no ${bin}`);
    const missing = lddMissing(lddOutput(join(tmp, bin), tmp));
    if (!missing.length) break;
    const deps = parseAptDepends(run('apt-cache', ['depends', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', ...fetched]));
    const have = installedOnHost(deps);
    next = deps.filter((d) => !fetched.includes(d) && !have.has(d));
    if (!next.length) {
      rmSync(tmp, { recursive: true, force: true });
      throw new Error(`${bin} from ${pkg} needs ${missing.join(', ')}: not on this host and in none of the packages it depends on (${fetched.join(', ')})`);
    }
    log(`${bin} needs ${missing.join(', ')}: fetching ${next.join(', ')}`);
  }
  writeFileSync(join(tmp, 'packages.json'), JSON.stringify({ packages: fetched }, null, 2) + '\n');
  rmSync(root, { recursive: true, force: true });
  renameSync(tmp, root);
  const r = resolved();
  if (!r) throw new Error(`${pkg}: a downloaded package vanished from ${join(cache, 'debs')}`);
  return withImagePaths(r, root);
}

/** Libraries from the unpacked packages go where the packages put them; the host's where the host has them. */
function withImagePaths({ bin, debs, libs }, root) {
  return {
    name: basename(bin),
    bin: realpathSync(bin),
    debs,
    libs: libs.map((l) => ({ at: l.startsWith(`${root}/`) ? l.slice(root.length) : l, src: realpathSync(l) })),
  };
}

/** Programs this builder runs on the build host, with the Debian package that provides each. */
export const HOST_TOOLS = [
  { bin: 'apt-cache', pkg: 'apt' }, { bin: 'apt-get', pkg: 'apt' },
  { bin: 'dpkg', pkg: 'dpkg' }, { bin: 'dpkg-deb', pkg: 'dpkg' }, { bin: 'dpkg-query', pkg: 'dpkg' },
  { bin: 'tar', pkg: 'tar' }, { bin: 'depmod', pkg: 'kmod' }, { bin: 'zstd', pkg: 'zstd' }, { bin: 'ldd', pkg: 'libc-bin' },
];

/**
 * Why this host cannot build the image, in one line with the fix, or undefined when it can.
 * The image is a Debian kernel + busybox + this host's Node, so it needs a Debian-family
 * Linux with the tools above. `onPath` is injectable for tests.
 */
export function hostProblem(platform = process.platform, onPath = isOnPath) {
  if (platform !== 'linux') {
    return `the agent image is built from Debian packages on Linux only (this host is ${platform}); build it on a Debian or Ubuntu machine with npm run build:agent-image and copy dist/agent-image here`;
  }
  const missing = HOST_TOOLS.filter((t) => !onPath(t.bin));
  if (!missing.length) return undefined;
  const pkgs = [...new Set(missing.map((t) => t.pkg))];
  return `${missing.map((t) => t.bin).join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing on this host; install with: sudo apt-get install ${pkgs.join(' ')}`;
}

function isOnPath(bin) {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, bin)));
}

/** A reason the build cannot run on this host at all (exit code 2), as opposed to a failed build. */
export class HostProblem extends Error {}

/** The image's inputs from the build host: Debian packages of its architecture, its own Node and tools. */
async function hostInputs(withAgent) {
  const { outfile: agentJs } = await bundleAgent();
  const kpkg = kernelPackage();
  const nodeBin = realpathSync(process.execPath);
  // Host tools the actions use when present: zstd lets image2disk decompress at native speed.
  const hostTools = AGENT_TOOLS.filter((t) => existsSync(t));
  const debTools = withAgent ? DEB_TOOLS.map(ensureDebTool) : [];
  const tools = [...hostTools.map((t) => ({ bin: realpathSync(t), name: basename(t) })), ...debTools];
  const libs = uniqueLibs([
    ...[nodeBin, ...hostTools].flatMap((b) => lddLibs(b)).map((l) => ({ at: l, src: realpathSync(l) })),
    ...debTools.flatMap((t) => t.libs),
  ]);
  return { agentJs, kpkg, kdeb: ensureDeb(kpkg), bdeb: ensureDeb('busybox-static'), nodeBin, nodeVersion: process.version, tools, libs, loaderDirs: LOADER_DIRS };
}

/** Programs from Debian packages in a foreign image that the host image takes from the host (AGENT_TOOLS). */
const FOREIGN_TOOLS = [{ pkg: 'zstd', bin: 'usr/bin/zstd' }];

/** The image's inputs for another architecture: every program, library and the kernel from its Debian packages. */
async function foreignInputs(arch, withAgent) {
  const info = archInfo(arch);
  const apt = foreignApt(cache, arch, log);
  const kpkg = apt.kernelPackage(info.kernelMeta);
  const node = withAgent ? ensureForeignTool(cache, arch, info.node, log) : undefined;
  const tools = withAgent ? [...FOREIGN_TOOLS, ...DEB_TOOLS].map((t) => ensureForeignTool(cache, arch, t, log)) : [];
  const libs = node ? uniqueLibs([...node.libs, ...nodeSharedBuiltins(node), ...tools.flatMap((t) => t.libs)]) : [];
  const { outfile: agentJs } = await bundleAgent(join(repo, `dist/agent-${arch}/agent.js`), info.node.target);
  const nodeVersion = node ? `${basename(node.debs.find((d) => basename(d).startsWith('nodejs_')) ?? 'nodejs')} (Debian ${arch})` : null;
  if (!isOnPath(info.emulator.bin)) throw new HostProblem(`${info.emulator.bin} is missing on this host (it lists the ${arch} busybox's applets); install with: sudo apt-get install ${info.emulator.pkg}`);
  return { agentJs, kpkg, kdeb: apt.deb(kpkg), bdeb: apt.deb('busybox-static'), nodeBin: node?.bin, nodeVersion, tools, libs, loaderDirs: info.loaderDirs, emulator: info.emulator.bin };
}

export async function buildImage({ force = false, reference = false, out: outDir, arch } = {}) {
  const started = Date.now();
  const problem = hostProblem();
  if (problem) throw new HostProblem(problem);
  if (arch && reference) throw new Error('--reference is built for the host architecture only');
  const out = outDir ? resolve(outDir) : join(repo, reference ? 'dist/agent-image-reference' : `dist/agent-image${arch ? `-${arch}` : ''}`);
  const withAgent = !reference;
  const level = process.env.DRAGONFLY_AGENT_ZSTD_LEVEL ?? '19';
  const { agentJs, kpkg, kdeb, bdeb, nodeBin, nodeVersion, tools, libs, loaderDirs, emulator } = arch ? await foreignInputs(arch, withAgent) : await hostInputs(withAgent);
  const version = kpkg.replace(/^linux-image-/, '');
  const inputsHash = sha256([
    ...[kdeb, bdeb, nodeBin, ...toolInputs(tools, libs)].map(fileId),
    ...[agentJs, join(here, 'init.sh'), join(here, 'udhcpc.sh'), join(here, 'cpio.mjs'), join(here, 'elf.mjs'), fileURLToPath(import.meta.url)].map((p) => readFileSync(p)),
    MODULES.join(','), String(withAgent), level, arch ?? 'host', readFileSync(join(here, 'debian-arch.mjs')),
  ]);
  const stamp = join(out, 'inputs.sha256');
  const outputs = ['vmlinuz', 'initramfs.img'].map((f) => join(out, f));
  if (!force && outputs.every(existsSync) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === inputsHash) {
    log('up to date (inputs unchanged)');
    return { upToDate: true };
  }
  if (force) for (const f of readdirSync(cache).filter((f) => f.startsWith('base-'))) rmSync(join(cache, f));
  const base = ensureBase({ kdeb, bdeb, version, nodeBin, libs, withAgent, level, tools, arch, loaderDirs, emulator });
  mkdirSync(out, { recursive: true });
  const topFile = join(cache, `top-${process.pid}.cpio.zst`);
  const topCpioBytes = zstd(topEntries({ agentJs, withAgent }), topFile, level);
  // Linux unpacks concatenated (separately compressed) cpio archives in order, later files
  // replacing earlier ones (Documentation/driver-api/early-userspace/buffer-format.rst).
  const image = Buffer.concat([readFileSync(base.file), readFileSync(topFile)]);
  rmSync(topFile);
  // Written beside and renamed into place: the control plane serves this directory while it
  // builds, and a machine must never fetch half a file.
  replaceFile(join(out, 'initramfs.img'), (tmp) => writeFileSync(tmp, image));
  replaceFile(join(out, 'vmlinuz'), (tmp) => copyFileSync(join(extractKernel(kdeb, version), 'boot', `vmlinuz-${version}`), tmp));
  const manifest = {
    variant: withAgent ? 'agent' : 'reference (no Node, no agent)',
    kernel: version,
    kernelPackage: basename(kdeb),
    busyboxPackage: basename(bdeb),
    ...(arch ? { arch } : {}),
    node: withAgent ? nodeVersion : null,
    tools: (withAgent ? tools : []).map((t) => `/bin/${t.name}${t.debs ? ` (${t.debs.map((d) => basename(d)).join(', ')})` : ' (build host)'}`),
    modules: base.modules,
    cpioBytes: base.cpioBytes + topCpioBytes,
    initramfsBytes: image.length,
    vmlinuzBytes: statSync(join(out, 'vmlinuz')).size,
    inputsSha256: inputsHash,
  };
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  writeFileSync(stamp, inputsHash + '\n');
  log(`${relative(process.cwd(), out)}: vmlinuz ${mb(manifest.vmlinuzBytes)} MB, initramfs.img ${mb(manifest.initramfsBytes)} MB ` +
    `(${base.modules} modules, kernel ${version}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { upToDate: false, manifest };
}

const mb = (b) => (b / 1e6).toFixed(1);

function replaceFile(target, write) {
  const tmp = `${target}.${process.pid}.tmp`;
  write(tmp);
  renameSync(tmp, target);
}

/** One file per image path (ldd lists libc for every program). */
function uniqueLibs(libs) {
  const byPath = new Map();
  for (const l of libs) if (!byPath.has(l.at)) byPath.set(l.at, l);
  return [...byPath.values()];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outAt = process.argv.indexOf('--out');
  const out = outAt > 0 ? process.argv[outAt + 1] : undefined;
  if (outAt > 0 && !out) throw new Error('--out needs a directory');
  try {
    const archAt = process.argv.indexOf('--arch');
    const arch = archAt > 0 ? process.argv[archAt + 1] : undefined;
    if (archAt > 0) archInfo(arch ?? ''); // an unknown or missing architecture fails here, naming the known ones
    await buildImage({ force: process.argv.includes('--force'), reference: process.argv.includes('--reference'), out, arch });
  } catch (e) {
    // One line a person can act on; the stack helps nobody running npm start.
    const host = e instanceof HostProblem;
    console.error(`build-image: ${host ? 'cannot build the agent image on this host: ' : 'failed: '}${e.message.split('\n').join(' ')}`);
    process.exit(host ? 2 : 1);
  }
}
