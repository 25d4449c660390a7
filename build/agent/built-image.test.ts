/**
 * Checks of the image npm run build:agent-image made (the lab and CI boot this one). Not part
 * of npm test, which must not need a 5-minute image build: npm run test:agent-image runs them
 * after the build (.ci/run does), and there a missing image fails, naming the command.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeWithPeers, itWithPeers } from '../../core/testing/peers.ts';
import { REQUIRED_AGENT_FILES } from './build-image.mjs';
import { imageEntries, unpackImage } from './image-entries.ts';
import { elfDynamic, lookupInImage, unresolvedLibraries } from './elf.mjs';

const imageDir = resolve(process.env.DRAGONFLY_AGENT_IMAGE ?? 'dist/agent-image');
const imageFile = join(imageDir, 'initramfs.img');

const built = { ok: existsSync(imageFile), why: `no agent image at ${imageFile}: npm run build:agent-image` };

describeWithPeers([built, 'zstd'], `the built agent image (${imageFile})`, () => {
  const image = imageEntries(imageFile);
  const root = mkdtempSync(join(tmpdir(), 'dfa-image-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('has /sbin/kexec (kexec-tools) and every library it needs, where the image\'s loader looks', () => {
    const entries = image();
    for (const f of REQUIRED_AGENT_FILES) expect(entries.some((e) => e.path === f), `${f} missing from ${imageFile}`).toBe(true);
    const byPath = new Map(entries.map((e) => [e.path, e]));
    expect(lookupInImage(byPath, '/sbin/kexec')).toBe('bin/kexec');
    const kexec = byPath.get('bin/kexec')!;
    expect(Buffer.from(kexec.data!).includes('kexec-tools')).toBe(true);
    const elf = elfDynamic(kexec.data!)!;
    expect(elf.needed.length).toBeGreaterThan(0);
    expect(unresolvedLibraries(entries).join('\n')).toBe('');
    // and the check sees it when one of kexec's own libraries is not there
    const lib = elf.needed.find((n) => n !== 'libc.so.6')!;
    expect(unresolvedLibraries(entries.filter((e) => !e.path.endsWith(`/${lib}`)))).toContainEqual(expect.stringMatching(new RegExp(`^bin/kexec needs ${lib.replace(/\./g, '\\.')}`)));
  });

  // The strongest check: the image's own loader runs the programs, with only the image's files.
  itWithPeers(['root'], 'runs /sbin/kexec, zstd and node inside the image (chroot, as root)', () => {
    unpackImage(image(), root);
    const inImage = (cmd: string, ...args: string[]) => {
      const r = spawnSync('chroot', [root, cmd, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });
      return `${r.status} ${r.stdout}${r.stderr}`.trim();
    };
    expect(inImage('/sbin/kexec', '--version')).toMatch(/^0 kexec-tools \d/);
    expect(inImage('/bin/zstd', '--version')).toMatch(/^0 \*\*\* Zstandard/);
    expect(inImage('/bin/node', '-e', 'console.log(process.version)')).toBe(`0 ${process.version}`);
  }, 60_000);
});
