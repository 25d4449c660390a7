/**
 * A provisioned x64 UEFI machine booted straight to its disk by a loader of our own (issue 16
 * part 3): build/efi-localboot/localboot.c, shipped as assets/localboot/dragonfly-localboot.efi.
 * It starts the disk's own loader through the firmware, so a machine whose firmware tries the
 * NIC first skips iPXE's start-up (about 4 s: docs/BENCHMARKS.md); if nothing on the disk
 * starts, it returns an error and the firmware goes on to its next option, as after iPXE's
 * `exit 1`.
 *
 * The name the firmware is given does not change: DHCP hands out the x64 UEFI iPXE as ever
 * (that is where Secure Boot is decided: a machine with Secure Boot on is sent shim, never
 * this name, so the unsigned loader only reaches firmware that runs the unsigned iPXE). What
 * is answered for that name is chosen when it is fetched, by the machine's fate, which the
 * boot endpoint looks up for the MAC our DHCP leased the asking address to, as for iPXE's
 * autoexec.ipxe (ipxe-autoexec.ts). Every other fate, an unknown machine and an address we
 * did not lease get iPXE.
 */
import { readFile } from 'node:fs/promises';
import type { TftpResolver } from '../tftp/server.ts';
import { ipxeFilesByArch } from './bootfile.ts';
import type { BootFate } from './fate.ts';

/** The loader's file name in its directory (assets/localboot, resources/localboot when packaged). */
export const UEFI_LOCAL_LOADER = 'dragonfly-localboot.efi';

/** The directory name of the loader, beside the iPXE binaries' directory. */
export const UEFI_LOCAL_LOADER_DIR = 'localboot';

/** The x64 UEFI iPXE's name (TFTP and HTTP boot alike), the one request the loader may answer. */
const UEFI_X64_IPXE = new Set(ipxeFilesByArch().filter((f) => f.arch === 'uefi-x64' || f.arch === 'http-x64').map((f) => f.file));

/** Whether a boot file request (TFTP path or HTTP file name) asks for the x64 UEFI iPXE. */
export function asksForUefiX64Ipxe(file: string): boolean {
  return UEFI_X64_IPXE.has(file.replace(/^\/+/, ''));
}

/** Whether the firmware is sent to its disk by the loader instead of iPXE: a local boot only. */
export function sendsToDisk(fate: BootFate): boolean {
  return fate.kind === 'local';
}

export interface UefiLocalLoaderTftpDeps {
  /** The MAC that holds a client address (the boot timeline learns it from our DHCP replies). */
  macOf(ip: string): string | undefined;
  /** Whether the boot endpoints send this MAC to its disk (fate table, boot timeline). */
  toDisk(mac: string, clientIp: string): Promise<boolean>;
  /** The loader's path; while it is absent iPXE is served as before. */
  loaderPath: string;
}

/**
 * Answers the x64 UEFI iPXE's name with the loader for a machine sent to its disk; every other
 * case falls through (undefined) to the TFTP root, where iPXE is.
 */
export function uefiLocalLoaderTftpResolver(deps: UefiLocalLoaderTftpDeps): TftpResolver {
  return async (path, client) => {
    if (!asksForUefiX64Ipxe(path)) return undefined;
    const mac = deps.macOf(client.address);
    if (mac === undefined) return undefined;
    const bytes = await readFile(deps.loaderPath).catch(() => undefined);
    if (!bytes || !(await deps.toDisk(mac, client.address))) return undefined;
    return { size: bytes.length, open: () => bytes };
  };
}
