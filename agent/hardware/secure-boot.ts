import { EFI_GLOBAL_VARIABLE } from '../actions/efi-load-option.ts';
import type { Snapshot } from './snapshot.ts';

/**
 * The UEFI global variable SecureBoot (UEFI 2.10 §3.3, EFI_GLOBAL_VARIABLE GUID). efivarfs
 * shows it as a file of 4 attribute bytes followed by the 1-byte value: 1 enforcing, 0 not.
 */
export const SECURE_BOOT_VAR = `/sys/firmware/efi/efivars/SecureBoot-${EFI_GLOBAL_VARIABLE}`;

/**
 * Whether the firmware booted with Secure Boot enforcing. BIOS has no Secure Boot (false);
 * a UEFI machine whose variable could not be read (efivarfs not mounted) is unknown
 * (undefined) rather than guessed.
 */
export function detectSecureBoot(s: Snapshot, firmware: 'bios' | 'uefi'): boolean | undefined {
  const raw = s.files[SECURE_BOOT_VAR];
  // The collector reads files as UTF-8; the attribute bytes (0x06/0x07, 0, 0, 0) and the value are
  // all below 0x80, so each byte is one UTF-16 unit and index 4 is the value byte.
  if (raw !== undefined && raw.length >= 5) return raw.charCodeAt(4) === 1;
  return firmware === 'bios' ? false : undefined;
}
