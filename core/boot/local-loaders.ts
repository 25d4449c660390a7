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

/**
 * The shims of common distributions, for an install that registered only its own boot entry.
 * Under Secure Boot the firmware checks the signature of whichever is started, so only a
 * signed loader starts.
 */
export const DISTRIBUTION_EFI_LOADERS: readonly string[] = [
  '/EFI/debian/shimx64.efi',
  '/EFI/ubuntu/shimx64.efi',
  '/EFI/redhat/shimx64.efi',
  '/EFI/rocky/shimx64.efi',
  '/EFI/centos/shimx64.efi',
  '/EFI/fedora/shimx64.efi',
  '/EFI/sles/shim.efi',
];

/** Every loader tried on the local disks, in order. */
export const LOCAL_EFI_LOADERS: readonly string[] = [REMOVABLE_MEDIA_LOADER_X64, ...DISTRIBUTION_EFI_LOADERS];

/** A loader path as UEFI file protocols spell it (backslashes); iPXE hands `--filename` over as is. */
export function efiFilePath(path: string): string {
  return path.replace(/\//g, '\\');
}
