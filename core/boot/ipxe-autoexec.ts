/**
 * iPXE's EFI autoexec.ipxe, answered per machine (issue 16 part 3). An EFI iPXE loaded over
 * TFTP first asks the same TFTP server for `autoexec.ipxe`, through a temporary device on the
 * firmware's network stack and the lease the firmware already holds (iPXE's efi_autoexec.c),
 * and runs it instead of its own autoboot (DHCP, then the script URL). For a machine whose fate
 * is local, the answer boots the disk straight away: no second DHCP, no HTTP script (in the lab,
 * iPXE's start to the script went from 12 s to 4 s: docs/BENCHMARKS.md). For every other fate
 * the answer is "file not found", and iPXE goes on exactly as it does without one.
 * A local x64 machine now normally gets our disk loader instead of iPXE (uefi-local-loader.ts);
 * this answer is what boots it while that file is missing.
 */
import { textFile } from '../tftp/resolvers.ts';
import type { TftpResolver } from '../tftp/server.ts';
import type { BootFate } from './fate.ts';
import { renderLocalScript } from './script.ts';
import { IPXE_AUTOEXEC_TFTP } from './urls.ts';

/** The autoexec script for a machine's fate; undefined (not found) for every fate but local. */
export function renderIpxeAutoexec(fate: BootFate, mac: string, displayName?: string): string | undefined {
  if (fate.kind !== 'local') return undefined;
  // Only an EFI iPXE asks for autoexec.ipxe (iPXE's efi_autoexec), so the firmware is UEFI.
  return renderLocalScript({ mac, firmware: 'uefi', ...(displayName ? { displayName } : {}) });
}

export interface IpxeAutoexecDeps {
  /** The MAC that holds a client address (the boot timeline learns it from our DHCP replies). */
  macOf(ip: string): string | undefined;
  /** The autoexec answer for a MAC, decided by the boot endpoints (fate table, timeline); undefined: none. */
  autoexec(mac: string, clientIp: string): Promise<string | undefined>;
}

/**
 * Answers `autoexec.ipxe`; every other name falls through (undefined). A TFTP request carries
 * only the client's address, so the MAC is the one our DHCP gave that address; an address we
 * did not lease (another DHCP server, proxy mode) gets "not found" and today's path.
 */
export function ipxeAutoexecTftpResolver(deps: IpxeAutoexecDeps): TftpResolver {
  return async (path, client) => {
    if (path !== IPXE_AUTOEXEC_TFTP) return undefined;
    const mac = deps.macOf(client.address);
    const text = mac === undefined ? undefined : await deps.autoexec(mac, client.address);
    return text === undefined ? undefined : textFile(text);
  };
}
