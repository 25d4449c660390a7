/**
 * What kind of client is asking, from its packet alone: RFC 4578 architecture, PXE ROM, UEFI
 * HTTP boot, iPXE. Which boot file each kind gets is core/boot's decision (boot/bootfile.ts).
 */
import type { DhcpPacket } from './codec.ts';
import { userClassNames } from './options/user-class.ts';

export type ClientArch =
  | 'bios'
  | 'uefi-ia32'
  | 'uefi-x64'
  | 'uefi-arm32'
  | 'uefi-arm64'
  | 'http-ia32'
  | 'http-x64'
  | 'http-arm32'
  | 'http-arm64'
  | 'unknown';

export interface ClientClass {
  arch: ClientArch;
  /** The raw RFC 4578 architecture number (option 93, else from "PXEClient:Arch:NNNNN"). */
  archCode?: number;
  /** Vendor class (60) starts with "PXEClient": a PXE ROM or iPXE. */
  isPxe: boolean;
  /** Vendor class starts with "HTTPClient": UEFI HTTP boot (UEFI 2.5 section 24.7). */
  isHttpClient: boolean;
  /** User class (77) "iPXE" or iPXE's option 175 is present: iPXE is already running. */
  isIpxe: boolean;
}

/** IANA processor architecture types (RFC 4578 2.1 and its registry). */
const archByCode: Record<number, ClientArch> = {
  0: 'bios',
  6: 'uefi-ia32',
  7: 'uefi-x64', // "EFI BC", what most x64 firmware (and OVMF) sends
  9: 'uefi-x64',
  10: 'uefi-arm32',
  11: 'uefi-arm64',
  15: 'http-ia32',
  16: 'http-x64',
  18: 'http-arm32',
  19: 'http-arm64',
};

/** "PXEClient:Arch:00007:UNDI:003016" -> 7 (older ROMs put it only here). */
function archFromVendorClass(vc: string | undefined): number | undefined {
  const m = /^(?:PXEClient|HTTPClient):Arch:(\d{5})/.exec(vc ?? '');
  return m ? Number(m[1]) : undefined;
}

export function classifyClient(p: DhcpPacket): ClientClass {
  const vc = p.options.vendorClass ?? '';
  const isPxe = vc.startsWith('PXEClient');
  const isHttpClient = vc.startsWith('HTTPClient');
  const archCode = p.options.clientArch?.[0] ?? archFromVendorClass(vc);
  // A PXE ROM without option 93 predates RFC 4578: that is a BIOS PXE 2.0 ROM.
  const arch = archCode !== undefined ? (archByCode[archCode] ?? 'unknown') : isPxe ? 'bios' : 'unknown';
  const isIpxe = userClassNames(p.options.userClass).includes('iPXE') || p.options.ipxe !== undefined;
  return { arch, archCode, isPxe, isHttpClient, isIpxe };
}
