/**
 * Checks of the arm64 agent image (npm run build:agent-image -- --arch arm64 writes
 * dist/agent-image-arm64), run by npm run test:agent-image after CI builds it: every program's
 * libraries resolve with the arm64 loader's directories, and Debian's arm64 Node (18) runs the
 * agent bundle inside the image, under user-mode emulation (qemu-aarch64-static in a chroot).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeWithPeers, itWithPeers } from '../../core/testing/peers.ts';
import { REQUIRED_AGENT_FILES } from './build-image.mjs';
import { imageEntries, unpackImage } from './image-entries.ts';
import { ARCHES } from './debian-arch.mjs';
import { elfDynamic, unresolvedLibraries } from './elf.mjs';

const imageDir = resolve(process.env.DRAGONFLY_AGENT_IMAGE_ARM64 ?? 'dist/agent-image-arm64');
const imageFile = join(imageDir, 'initramfs.img');
const built = { ok: existsSync(imageFile), why: `no arm64 agent image at ${imageFile}: npm run build:agent-image -- --arch arm64` };
const EM_AARCH64 = 183;

describeWithPeers([built, 'zstd'], `the built arm64 agent image (${imageFile})`, () => {
  const image = imageEntries(imageFile);
  const root = mkdtempSync(join(tmpdir(), 'dfa-arm64-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('says what it is built from: arm64, Debian kernel and Debian nodejs', () => {
    const m = JSON.parse(readFileSync(join(imageDir, 'manifest.json'), 'utf8'));
    expect(m.arch).toBe('arm64');
    expect(m.kernel).toMatch(/-arm64$/);
    expect(m.node).toMatch(/^nodejs_18\.[^ ]+_arm64\.deb \(Debian arm64\)$/);
  });

  it('holds arm64 programs only, each with every library where the arm64 loader looks', () => {
    const entries = image();
    for (const f of REQUIRED_AGENT_FILES) expect(entries.some((e) => e.path === f), `${f} missing`).toBe(true);
    for (const p of ['bin/node', 'bin/kexec', 'bin/zstd', 'bin/busybox']) {
      const e = entries.find((x) => x.path === p)!;
      expect(Buffer.from(e.data!).readUInt16LE(18), `${p} machine`).toBe(EM_AARCH64);
    }
    expect(unresolvedLibraries(entries, ARCHES.arm64.loaderDirs).join('\n')).toBe('');
    // and the check sees a library taken away, so it can fail
    const lib = elfDynamic(entries.find((e) => e.path === 'bin/node')!.data!)!.needed.find((n) => n.startsWith('libnode'))!;
    expect(unresolvedLibraries(entries.filter((e) => !e.path.endsWith(`/${lib}`)), ARCHES.arm64.loaderDirs)).toContainEqual(expect.stringMatching(/^bin\/node needs libnode/));
  });

  itWithPeers(['root', 'qemu-aarch64-static'], "runs Debian's arm64 Node and the agent inside the image (chroot, user-mode emulation)", () => {
    unpackImage(image(), root);
    const emulator = spawnSync('sh', ['-c', 'command -v qemu-aarch64-static'], { encoding: 'utf8' }).stdout.trim();
    copyFileSync(emulator, join(root, 'qemu-aarch64-static'));
    const inImage = (...args: string[]) => {
      const r = spawnSync('chroot', [root, '/qemu-aarch64-static', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });
      return `${r.status} ${r.stdout}${r.stderr}`.trim();
    };
    expect(inImage('/bin/node', '-e', 'console.log(process.version, process.arch, typeof fetch)')).toMatch(/^0 v18\.\d+\.\d+ arm64 function$/);
    expect(inImage('/bin/node', '/agent/agent.js', '--version')).toMatch(/^0 dragonfly-agent \S+$/);
    expect(inImage('/bin/kexec', '--version')).toMatch(/^0 kexec-tools \d/);
  }, 180_000);
});
