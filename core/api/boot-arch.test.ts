import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../testing/api-harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

const MAC = '52:54:00:1f:00:64';
const script = async (arch: string) => (await h.app.inject({ url: `/boot/ipxe?mac=${MAC}&arch=${arch}&platform=efi` })).body;

describe('the boot script for a machine the agent image cannot run on', () => {
  it('an arm64 iPXE, while no arm64 image is built, is told why on its console and handed back to its firmware, not sent the amd64 kernel', async () => {
    const body = await script('arm64');
    expect(body).toContain('echo Dragonfly: cannot discover or image this machine: the arm64 agent image is not built on this control plane');
    expect(body).toMatch(/\nexit 1\n$/);
    expect(body).not.toContain('/boot/agent/vmlinuz');
  });

  it('an architecture with no image at all is named', async () => {
    expect(await script('riscv64')).toContain("there is no agent image for this machine's architecture (riscv64)");
  });

  it('an arm64 GRUB (Secure Boot chain), while no arm64 image is built, is told why and handed back to its firmware', async () => {
    const body = (await h.app.inject({ url: `/boot/grub/${MAC}?arch=arm64` })).body;
    expect(body).toContain('echo "Dragonfly: cannot discover or image this machine: the arm64 agent image is not built on this control plane');
    expect(body).toMatch(/\nexit\n$/);
    expect(body).not.toContain('linux /agent/vmlinuz');
  });

  it('x86_64 and BIOS (i386) iPXE get the agent', async () => {
    expect(await script('x86_64')).toContain('kernel http://10.0.0.1:8080/boot/agent/vmlinuz');
    expect(await script('i386')).toContain('kernel http://10.0.0.1:8080/boot/agent/vmlinuz');
  });

});

describe('the arm64 agent image, once built beside the host image', () => {
  it('an arm64 iPXE gets the arm64 kernel and initramfs, served from agent-image-arm64', async () => {
    const dir = join(h.dataDir, 'agent-arm64');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'vmlinuz'), 'ARM64-KERNEL');
    await writeFile(join(dir, 'initramfs.img'), 'ARM64-INITRD');
    const body = await script('arm64');
    expect(body).toContain('kernel http://10.0.0.1:8080/boot/agent/arm64/vmlinuz initrd=initramfs.img ');
    expect(body).toMatch(/dragonfly\.token=\S+ console=ttyAMA0,115200n8 \|\| goto failed\n/);
    expect(body).toContain('initrd --name initramfs.img http://10.0.0.1:8080/boot/agent/arm64/initramfs.img ');
    expect((await h.app.inject({ url: '/boot/agent/arm64/vmlinuz' })).body).toBe('ARM64-KERNEL');
    expect(await script('x86_64')).toContain('kernel http://10.0.0.1:8080/boot/agent/vmlinuz');
    expect(await script('x86_64')).not.toContain('ttyAMA0');
  });

  it('an arm64 GRUB gets the arm64 kernel and initramfs over TFTP names, with the arm64 console; an x64 GRUB the host image', async () => {
    const arm = (await h.app.inject({ url: `/boot/grub/${MAC}?arch=arm64` })).body;
    expect(arm).toMatch(/\nlinux \/agent\/arm64\/vmlinuz .*dragonfly\.mac=52:54:00:1f:00:64 .*console=ttyAMA0,115200n8\n/);
    expect(arm).toContain('\ninitrd /agent/arm64/initramfs.img\n');
    const x64 = (await h.app.inject({ url: `/boot/grub/${MAC}` })).body;
    expect(x64).toContain('\nlinux /agent/vmlinuz ');
    expect(x64).not.toContain('ttyAMA0');
  });

  it('serves nothing but the two files of a known foreign architecture', async () => {
    for (const url of ['/boot/agent/riscv64/vmlinuz', '/boot/agent/amd64/vmlinuz', '/boot/agent/arm64/manifest.json', '/boot/agent/arm64/..%2Fagent%2Fvmlinuz']) {
      expect((await h.app.inject({ url })).statusCode, url).toBe(404);
    }
  });
});
