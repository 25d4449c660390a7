/**
 * The Secure Boot chain's files per CPU architecture (docs/SECURE-BOOT.md): Debian's
 * Microsoft-signed shim and Debian-signed network GRUB for x64 and for arm64
 * (assets/secureboot/README.md), and the TFTP names under which GRUB reads the machine's
 * configuration and the agent. x64 keeps the names it always had (urls.ts tftpPaths); arm64 has
 * its own beside them. Which chain a machine gets is decided elsewhere, once, for both
 * (uefiChainFor, core/app/secure-boot.ts); this only says what "shim" means for each CPU.
 */
import type { ClientArch } from '../dhcp/classify.ts';
import { AGENT_INITRD, AGENT_KERNEL, ramDiskPaths, tftpPaths, type AgentImageArch } from './urls.ts';

export interface SignedChainFiles {
  /** The NBP: Microsoft-signed shim, in assets/secureboot under this name. */
  shim: string;
  /** What shim loads next from its own directory: Debian-signed network GRUB. */
  grub: string;
  /** The per-MAC GRUB configuration's TFTP name, before the MAC. */
  grubMacPrefix: string;
  agentKernel: string;
  agentInitrd: string;
  /** shim and GRUB on the UEFI HTTP boot RAM disk (secure-boot-disk.ts): the removable-media loader and its neighbour. */
  ramDisk: { shim: string; grub: string };
}

/** By agent image architecture (urls.ts AGENT_IMAGE_ARCHES); shim-signed names its arm64 build shimaa64.efi and loads grubaa64.efi. */
export const SIGNED_CHAIN: Readonly<Record<AgentImageArch, SignedChainFiles>> = {
  amd64: {
    shim: tftpPaths.shim,
    grub: tftpPaths.grub,
    grubMacPrefix: tftpPaths.grubMacPrefix,
    agentKernel: tftpPaths.agentKernel,
    agentInitrd: tftpPaths.agentInitrd,
    ramDisk: { shim: ramDiskPaths.shim, grub: ramDiskPaths.grub },
  },
  arm64: {
    shim: 'shimaa64.efi',
    grub: 'grubaa64.efi',
    grubMacPrefix: 'grub/arm64/grub.cfg-',
    agentKernel: `agent/arm64/${AGENT_KERNEL}`,
    agentInitrd: `agent/arm64/${AGENT_INITRD}`,
    ramDisk: { shim: 'efi/boot/bootaa64.efi', grub: 'efi/boot/grubaa64.efi' },
  },
};

/** The PXE client architectures (DHCP option 93: 7 and 9 x64, 11 arm64) a signed chain exists for. */
const CHAIN_BY_CLIENT_ARCH: Partial<Record<ClientArch, AgentImageArch>> = { 'uefi-x64': 'amd64', 'uefi-arm64': 'arm64' };

/** The signed shim a PXE client of this architecture is sent when its chain is "shim"; undefined: it has none (BIOS). */
export function signedShimFor(arch: ClientArch): string | undefined {
  const chain = CHAIN_BY_CLIENT_ARCH[arch];
  return chain && SIGNED_CHAIN[chain].shim;
}

/** The UEFI HTTP boot client architectures (16 x64, 19 arm64) whose signed chain comes as a RAM disk. */
const DISK_BY_CLIENT_ARCH: Partial<Record<ClientArch, AgentImageArch>> = { 'http-x64': 'amd64', 'http-arm64': 'arm64' };

/** Which architecture's RAM disk an HTTP boot client of this architecture is sent when its chain is "shim". */
export function signedDiskArchFor(arch: ClientArch): AgentImageArch | undefined {
  return DISK_BY_CLIENT_ARCH[arch];
}
