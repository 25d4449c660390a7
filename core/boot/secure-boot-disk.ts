/**
 * The RAM disk a Secure Boot machine boots over UEFI HTTP boot (docs/SECURE-BOOT.md): Debian's
 * signed grubnetx64 (and grubnetaa64) has no HTTP client, so the firmware downloads one FAT volume holding the
 * whole chain (shim, GRUB, the machine's GRUB configuration, the agent) and boots it from RAM
 * (content type application/vnd.efi-img). No TFTP at any step.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { agentImageDirFor } from './agent-arch.ts';
import { fatImage, type FatFile, type FatImage } from './fat-image.ts';
import { SIGNED_CHAIN } from './signed-chain.ts';
import { AGENT_INITRD, AGENT_KERNEL, ramDiskPaths, type AgentImageArch } from './urls.ts';

/** The content type that makes a UEFI HTTP boot client load the download as a RAM disk (UEFI 2.10 24.7.3). */
export const RAM_DISK_TYPE = 'application/vnd.efi-img';

/**
 * Room for the configuration, padded with newlines: the firmware asks for the size first
 * (HEAD), before this server has decided anything for the machine, so the size must not depend
 * on the configuration's text. A configuration is about 1 KiB.
 */
export const GRUB_CONFIG_ROOM = 8192;

export interface SecureBootDiskDirs {
  /** The signed shims and GRUBs (assets/secureboot). */
  signedDir: string;
  /** vmlinuz and initramfs.img of the host's agent image (another architecture's is beside it: agent-arch.ts). */
  agentImageDir: string;
}

/**
 * The disk for one configuration; without one (a HEAD request), the same layout with an empty
 * configuration. The agent is on every disk, also a local boot's: the size is then the same
 * whatever the machine's fate, which is not known when the firmware asks for it. `arch` picks
 * the CPU's shim, GRUB and agent image (signed-chain.ts); the disk's other names are the same.
 */
export async function secureBootDisk(dirs: SecureBootDiskDirs, grubConfig = '', arch: AgentImageArch = 'amd64'): Promise<FatImage> {
  const chain = SIGNED_CHAIN[arch];
  const agentDir = agentImageDirFor(dirs.agentImageDir, arch);
  const files: FatFile[] = [
    { path: chain.ramDisk.shim, source: await diskFile(join(dirs.signedDir, chain.shim)) },
    { path: chain.ramDisk.grub, source: await diskFile(join(dirs.signedDir, chain.grub)) },
    { path: ramDiskPaths.grubConfig, source: padConfig(grubConfig) },
    { path: ramDiskPaths.agentKernel, source: await diskFile(join(agentDir, AGENT_KERNEL)) },
    { path: ramDiskPaths.agentInitrd, source: await diskFile(join(agentDir, AGENT_INITRD)) },
  ];
  return fatImage(files, 'DRAGONFLY');
}

export function padConfig(text: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > GRUB_CONFIG_ROOM) throw new Error(`GRUB configuration is ${bytes.length} bytes, more than the ${GRUB_CONFIG_ROOM} the RAM disk has room for`);
  const out = new Uint8Array(GRUB_CONFIG_ROOM).fill(0x0a);
  out.set(bytes);
  return out;
}

async function diskFile(path: string): Promise<{ path: string; size: number }> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new Error(`${path} is missing`);
  return { path, size: info.size };
}
