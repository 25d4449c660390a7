import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EnrolmentGate } from '../boot/enrolment.ts';
import { BootTimeline } from '../boot/timeline.ts';
import type { Hardware } from '../model/hardware.ts';
import { createHarness, type Harness } from '../testing/api-harness.ts';
import { itWithPeers } from '../testing/peers.ts';

// The RAM disk a Secure Boot machine boots over UEFI HTTP boot (docs/SECURE-BOOT.md): the
// firmware asks for its size (HEAD), then for the disk, which holds the machine's GRUB
// configuration decided like the TFTP chain's (same admission, token and fate).
const MAC = '52:54:00:5b:00:41';
const IP = '10.77.0.141';
const URL = `/boot/secureboot/${MAC.replace(/:/g, '-')}/boot.img`;

let h: Harness | undefined;
afterEach(async () => h?.close());

async function harness(files = true): Promise<{ h: Harness; timeline: BootTimeline }> {
  const timeline = new BootTimeline({ recordBootStep: async () => {} }, new EnrolmentGate({ dhcpRuns: () => true }));
  h = await createHarness({ timeline });
  if (files) {
    await mkdir(join(h.dataDir, 'secureboot'), { recursive: true });
    await writeFile(join(h.dataDir, 'secureboot/shimx64.efi'), 'signed shim');
    await writeFile(join(h.dataDir, 'secureboot/grubx64.efi'), 'signed grub');
    await mkdir(join(h.dataDir, 'agent'), { recursive: true });
    await writeFile(join(h.dataDir, 'agent/vmlinuz'), Buffer.alloc(700_000, 7));
    await writeFile(join(h.dataDir, 'agent/initramfs.img'), Buffer.alloc(1_300_001, 9));
  }
  return { h, timeline };
}
const disk = (method: 'GET' | 'HEAD' = 'GET') => h!.app.inject({ method, url: URL, remoteAddress: IP });

/** A file of the disk, read by mtools. */
async function fileOf(body: Buffer, path: string): Promise<string> {
  const img = join(h!.dataDir, 'boot.img');
  await writeFile(img, body);
  return execFileSync('mcopy', ['-n', '-i', img, `::/${path}`, '-'], { maxBuffer: 16 << 20 }).toString('latin1');
}

describe('the Secure Boot RAM disk', () => {
  it('HEAD gives the size and type before anything is decided: no machine, no token', async () => {
    await harness();
    const head = await disk('HEAD');
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-type']).toBe('application/vnd.efi-img');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(2_000_000);
    expect((await h!.store.list<Hardware>('Hardware')).items).toEqual([]);
    const get = await disk();
    expect(get.rawPayload.length).toBe(Number(head.headers['content-length'])); // the firmware allocates the RAM disk from HEAD
  });

  itWithPeers(['mcopy'], 'holds shim as the removable-media loader, GRUB beside it, and the machine\'s configuration with its token', async () => {
    const { timeline } = await harness();
    timeline.dhcp({ type: 'ack', mode: 'full', mac: MAC, ip: IP, arch: 'http-x64', bootfile: URL });
    const res = await disk();
    expect(res.statusCode).toBe(200);
    expect(await fileOf(res.rawPayload, 'efi/boot/bootx64.efi')).toBe('signed shim');
    expect(await fileOf(res.rawPayload, 'efi/boot/grubx64.efi')).toBe('signed grub');
    const cfg = await fileOf(res.rawPayload, 'grub/grub.cfg');
    expect(cfg).toMatch(/: discovery\n/);
    expect(cfg).toContain('linux /agent/vmlinuz ');
    expect(cfg).toContain('initrd /agent/initrd.img\n');
    expect(cfg).toMatch(/dragonfly\.token=\S+/);
    expect((await fileOf(res.rawPayload, 'agent/initrd.img')).length).toBe(1_300_001);
    expect((await h!.store.list<Hardware>('Hardware')).items.map((x) => x.spec.macs)).toEqual([[MAC]]);
  });

  itWithPeers(['mcopy'], 'without a DHCP exchange from that address: a configuration that restarts, no token', async () => {
    await harness();
    const cfg = await fileOf((await disk()).rawPayload, 'grub/grub.cfg');
    expect(cfg).toContain(`no DHCP exchange of ${MAC} from ${IP}`);
    expect(cfg).not.toContain('dragonfly.token');
  });

  itWithPeers(['mcopy'], 'an arm64 client (?arch=arm64) gets shimaa64 as BOOTAA64.EFI, grubaa64 beside it, the arm64 agent and its console', async () => {
    const { timeline } = await harness();
    await writeFile(join(h!.dataDir, 'secureboot/shimaa64.efi'), 'signed shim aa64');
    await writeFile(join(h!.dataDir, 'secureboot/grubaa64.efi'), 'signed grub aa64');
    await mkdir(join(h!.dataDir, 'agent-arm64'), { recursive: true });
    await writeFile(join(h!.dataDir, 'agent-arm64/vmlinuz'), 'ARM64-KERNEL');
    await writeFile(join(h!.dataDir, 'agent-arm64/initramfs.img'), Buffer.alloc(400_001, 5));
    timeline.dhcp({ type: 'ack', mode: 'full', mac: MAC, ip: IP, arch: 'http-arm64', bootfile: URL });
    const res = await h!.app.inject({ url: `${URL}?arch=arm64`, remoteAddress: IP });
    expect(res.statusCode).toBe(200);
    const head = await h!.app.inject({ method: 'HEAD', url: `${URL}?arch=arm64`, remoteAddress: IP });
    expect(res.rawPayload.length).toBe(Number(head.headers['content-length']));
    expect(await fileOf(res.rawPayload, 'efi/boot/bootaa64.efi')).toBe('signed shim aa64');
    expect(await fileOf(res.rawPayload, 'efi/boot/grubaa64.efi')).toBe('signed grub aa64');
    expect(await fileOf(res.rawPayload, 'agent/vmlinuz')).toBe('ARM64-KERNEL');
    expect((await fileOf(res.rawPayload, 'agent/initrd.img')).length).toBe(400_001);
    const cfg = await fileOf(res.rawPayload, 'grub/grub.cfg');
    expect(cfg).toMatch(/\nlinux \/agent\/vmlinuz .*console=ttyAMA0,115200n8\n/);
    expect(cfg).toContain('initrd /agent/initrd.img\n');
  });

  it('an architecture without a disk is a 400 that names it, and creates nothing', async () => {
    await harness();
    const res = await h!.app.inject({ url: `${URL}?arch=riscv64`, remoteAddress: IP });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('no Secure Boot RAM disk for architecture "riscv64"');
    expect((await h!.store.list<Hardware>('Hardware')).items).toEqual([]);
  });

  it('says which file is missing instead of sending a broken disk; a bad MAC is a 400', async () => {
    await harness(false);
    const res = await disk('HEAD');
    expect(res.statusCode).toBe(404);
    const get = await disk();
    expect(get.json().message).toMatch(/Secure Boot RAM disk: .*shimx64\.efi is missing/);
    expect((await h!.app.inject({ url: '/boot/secureboot/nope/boot.img' })).json().message).toContain('"nope" is not a MAC address');
  });
});
