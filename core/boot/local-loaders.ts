import type { AgentImageArch } from './urls.ts';

/**
 * The loaders a provisioned UEFI machine's own disk is booted through, for both network paths
 * that boot it directly: the iPXE script (script.ts, `sanboot`) and the Secure Boot GRUB
 * configuration (grub.ts, `chainloader`). One list, so both paths try the same disks the same way.
 */

/**
 * The removable-media path every UEFI OS installer writes (and the one firmware itself falls
 * back to), for x64 (UEFI 2.x, 13.3.1.3). iPXE's `sanboot` without `--filename` tries the same
 * path for the architecture it runs on (BOOTAA64.EFI on arm64).
 */
export const REMOVABLE_MEDIA_LOADER_X64 = '/EFI/BOOT/BOOTX64.EFI';

/** The removable-media path per CPU (UEFI 2.x, 13.3.1.3: BOOTX64.EFI, BOOTAA64.EFI). */
const REMOVABLE_MEDIA_LOADER: Record<AgentImageArch, string> = { amd64: REMOVABLE_MEDIA_LOADER_X64, arm64: '/EFI/BOOT/BOOTAA64.EFI' };

/** Distributions that install their shim as /EFI/<name>/shim<cpu>.efi. */
const SHIM_DISTRIBUTIONS = ['debian', 'ubuntu', 'redhat', 'rocky', 'centos', 'fedora'] as const;
const SHIM_FILE: Record<AgentImageArch, string> = { amd64: 'shimx64.efi', arm64: 'shimaa64.efi' };

/**
 * The shims of common distributions for one CPU, for an install that registered only its own
 * boot entry. Under Secure Boot the firmware checks the signature of whichever is started, so
 * only a signed loader starts. SUSE names its shim the same on every CPU.
 */
export function distributionEfiLoaders(arch: AgentImageArch): string[] {
  return [...SHIM_DISTRIBUTIONS.map((d) => `/EFI/${d}/${SHIM_FILE[arch]}`), '/EFI/sles/shim.efi'];
}

/** Every loader tried on the local disks of a machine of this CPU, in order. */
export function localEfiLoaders(arch: AgentImageArch): string[] {
  return [REMOVABLE_MEDIA_LOADER[arch], ...distributionEfiLoaders(arch)];
}

/** The x64 lists (the iPXE script's `sanboot` tries its own CPU's removable path by itself). */
export const DISTRIBUTION_EFI_LOADERS: readonly string[] = distributionEfiLoaders('amd64');
export const LOCAL_EFI_LOADERS: readonly string[] = localEfiLoaders('amd64');

/** A loader path as UEFI file protocols spell it (backslashes); iPXE hands `--filename` over as is. */
export function efiFilePath(path: string): string {
  return path.replace(/\//g, '\\');
}
