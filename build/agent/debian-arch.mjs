// Debian packages of another architecture than the build host's (arm64 on an amd64 host), for
// the agent image: fetched with the host's apt, but through a private apt state under
// .cache/agent-image/apt-ARCH (its own package lists, no dpkg database), so the host's
// dpkg configuration (`dpkg --add-architecture`) is never changed. Programs are checked with
// their ELF dynamic sections (elf.mjs) instead of ldd, which cannot run foreign binaries.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { elfDynamic } from './elf.mjs';

/** Debian architecture -> what the image needs to know about it. */
export const ARCHES = {
  arm64: {
    kernelMeta: 'linux-image-arm64',
    loaderDirs: ['/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib', '/usr/lib'],
    // Debian's own Node for arm64 (bookworm: 18). The agent bundle is built for it.
    node: { pkg: 'nodejs', bin: 'usr/bin/node', target: 'node18' },
    // Runs the arm64 busybox at build time (to list its applets) without binfmt_misc.
    emulator: { bin: 'qemu-aarch64-static', pkg: 'qemu-user-static' },
  },
};

/** The named architecture's facts, or an error that lists the ones this builder knows. */
export function archInfo(arch) {
  const a = ARCHES[arch];
  if (!a) throw new Error(`unknown --arch ${arch}; known: ${Object.keys(ARCHES).join(', ')} (the host's own architecture needs no --arch)`);
  return a;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.error}`);
  return r.stdout;
}

/**
 * apt for `arch` with a private state directory: the host's sources, that architecture only.
 * Package lists are fetched once, and again when a download fails (the mirror moved on).
 */
export function foreignApt(cache, arch, log) {
  const root = resolve(cache, `apt-${arch}`);
  const conf = join(root, 'apt.conf');
  const update = () => {
    log(`apt-get update (${arch} package lists, private to ${root})`);
    run('apt-get', ['update', '-q'], { env: { ...process.env, APT_CONFIG: conf } });
    writeFileSync(join(root, '.updated'), new Date().toISOString() + '\n');
  };
  if (!existsSync(join(root, '.updated'))) {
    for (const d of ['lists/partial', 'archives/partial', 'cache']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'status'), '');
    writeFileSync(conf, [
      `APT::Architecture "${arch}";`,
      `APT::Architectures { "${arch}"; };`,
      `Dir::State::Lists "${root}/lists";`,
      `Dir::State::status "${root}/status";`,
      `Dir::Cache "${root}/cache";`,
      `Dir::Cache::archives "${root}/archives";`,
      '',
    ].join('\n'));
    update();
  }
  const env = { ...process.env, APT_CONFIG: conf };
  const debs = resolve(cache, `debs-${arch}`);
  mkdirSync(debs, { recursive: true });
  const have = (pkg) => readdirSync(debs).filter((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb')).sort().at(-1);
  return {
    /** The .deb of `pkg` for this architecture, downloaded on first use. */
    deb(pkg) {
      if (!have(pkg)) {
        log(`apt-get download ${pkg}:${arch}`);
        const download = () => run('apt-get', ['download', '-q', `${pkg}:${arch}`], { cwd: debs, env });
        try {
          download();
        } catch {
          update(); // lists fetched long ago name versions the mirror no longer has
          download();
        }
      }
      return join(debs, have(pkg));
    },
    /** Direct Depends/Pre-Depends of packages (virtual ones skipped). */
    depends(pkgs) {
      const out = run('apt-cache', ['depends', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', ...pkgs.map((p) => `${p}:${arch}`)], { env });
      return [...new Set([...out.matchAll(/^\s*\|?(?:Pre)?Depends:\s*([^\s<>]+)\s*$/gm)].map((m) => m[1].replace(/:(any|arm64)$/, '')))];
    },
    /** The versioned kernel package the metapackage depends on. */
    kernelPackage(meta) {
      const m = /Depends:\s*(linux-image-[0-9][^\s:]*)/.exec(run('apt-cache', ['depends', `${meta}:${arch}`], { env }));
      if (!m) throw new Error(`apt cannot resolve ${meta}:${arch}`);
      return m[1];
    },
  };
}

/**
 * Sonames the ELF file at `bin` (inside the unpacked tree `root`) needs that are not in the
 * tree's loader directories, following the libraries found, transitively.
 */
export function missingSonames(root, bin, loaderDirs) {
  const missing = new Set();
  const seen = new Set();
  const found = [];
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const elf = elfDynamic(readFileSync(file));
    if (!elf) return;
    for (const soname of elf.needed) {
      const at = loaderDirs.map((d) => join(root, d, soname)).find(existsSync);
      if (!at) { missing.add(soname); continue; }
      found.push(at);
      visit(realpathSync(at));
    }
  };
  visit(realpathSync(join(root, bin)));
  return { missing: [...missing], libs: [...new Set(found)] };
}

/**
 * A program from a Debian package of `arch` with every library it needs, unpacked into
 * .cache/agent-image/tool-ARCH-PKG/: while a needed soname is missing, the Depends of the
 * packages fetched so far are fetched too (there is no host to borrow from). The package list
 * is remembered, so a later build needs no apt.
 * Returns { name, bin, debs, libs: [{ at, src }] } as build-image.mjs's tools are.
 */
export function ensureForeignTool(cache, arch, { pkg, bin }, log) {
  const { loaderDirs } = archInfo(arch);
  const root = join(cache, `tool-${arch}-${pkg}`);
  const listFile = join(root, 'packages.json');
  if (!existsSync(listFile)) unpackWithDepends(cache, arch, pkg, bin, root, log);
  const { packages } = JSON.parse(readFileSync(listFile, 'utf8'));
  const { missing, libs } = missingSonames(root, bin, loaderDirs);
  if (missing.length) throw new Error(`${bin} from ${pkg}:${arch} needs ${missing.join(', ')}, in none of ${packages.join(', ')}`);
  const interp = elfDynamic(readFileSync(realpathSync(join(root, bin)))).interp;
  const all = interp ? [...libs, join(root, interp)] : libs;
  const debs = readdirSync(join(cache, `debs-${arch}`)).filter((f) => packages.some((p) => f.startsWith(`${p}_`))).map((f) => join(cache, `debs-${arch}`, f));
  return {
    name: bin.split('/').at(-1),
    root,
    bin: realpathSync(join(root, bin)),
    debs,
    libs: all.map((l) => ({ at: l.slice(root.length), src: realpathSync(l) })),
  };
}

function unpackWithDepends(cache, arch, pkg, bin, root, log) {
  const apt = foreignApt(cache, arch, log);
  const tmp = `${root}.${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const fetched = [];
  for (let next = [pkg]; next.length; ) {
    for (const p of next) {
      run('dpkg-deb', ['-x', apt.deb(p), tmp]);
      fetched.push(p);
    }
    if (!existsSync(join(tmp, bin))) throw new Error(`${pkg}:${arch} has no ${bin}`);
    const { missing } = missingSonames(tmp, bin, archInfo(arch).loaderDirs);
    if (!missing.length) break;
    next = apt.depends(fetched).filter((d) => !fetched.includes(d));
    if (!next.length) throw new Error(`${bin} from ${pkg}:${arch} needs ${missing.join(', ')}: in none of ${fetched.join(', ')}`);
    log(`${bin} (${arch}) needs ${missing.join(', ')}: fetching ${next.join(', ')}`);
  }
  writeFileSync(join(tmp, 'packages.json'), JSON.stringify({ packages: fetched }, null, 2) + '\n');
  rmSync(root, { recursive: true, force: true });
  renameSync(tmp, root);
}

/**
 * Debian builds Node with some of its built-in modules (undici for fetch, acorn,
 * cjs-module-lexer) read at run time from /usr/share/nodejs; libnode records each path as a
 * NODE_SHARED_BUILTIN_..._PATH define. Those files, as { at, src } like libraries, so the
 * image carries exactly what this libnode will open.
 */
export function nodeSharedBuiltins(node) {
  const libnode = node.libs.find((l) => /\/libnode\.so/.test(l.at));
  if (!libnode) return [];
  const text = readFileSync(libnode.src).toString('latin1');
  const paths = [...new Set([...text.matchAll(/NODE_SHARED_BUILTIN_\w+?_PATH=(\/usr\/share\/nodejs\/[^"\s,]+)/g)].map((m) => m[1]))];
  const absent = paths.filter((p) => !existsSync(join(node.root, p)));
  if (absent.length) throw new Error(`Debian's Node needs ${absent.join(', ')}, which none of its packages unpacked`);
  return paths.map((p) => ({ at: p, src: realpathSync(join(node.root, p)) }));
}

/** For the build's input hash: the identity of a file. */
export const fileStamp = (p) => {
  const s = statSync(p);
  return `${p}:${s.size}:${s.mtimeMs}`;
};
