/**
 * Boot policy building blocks: what kind of client is asking (architecture, PXE ROM, UEFI
 * HTTP boot, iPXE) and which boot file each kind gets. Small named functions, no I/O.
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

/** Where the boot files live; the lead's boot module supplies these. */
export interface BootUrls {
  /** iPXE script URL for clients already running iPXE, e.g. "http://10.0.0.1:8080/boot/ipxe?mac=${net0/mac}". */
  ipxeScriptUrl: string;
  /** HTTP base for UEFI HTTP boot clients, e.g. "http://10.0.0.1:8080/ipxe/" (snponly.efi is appended). */
  httpBootBase: string;
}

export type BootFile =
  | { kind: 'tftp'; bootfile: string }
  | { kind: 'http'; url: string; vendorClass: 'HTTPClient' }
  | { kind: 'ipxe-script'; url: string }
  | { kind: 'none'; reason: string };

const tftpFileByArch: Partial<Record<ClientArch, string>> = {
  bios: 'undionly.kpxe',
  'uefi-x64': 'snponly.efi',
  'uefi-arm64': 'ipxe-arm64.efi',
};
const httpFileByArch: Partial<Record<ClientArch, string>> = {
  'http-x64': 'snponly.efi',
  'http-arm64': 'ipxe-arm64.efi',
};

/** Every iPXE binary a client may be sent, per architecture (for "can machines boot?" checks). */
export function ipxeFilesByArch(): Array<{ arch: ClientArch; file: string }> {
  return [...Object.entries(tftpFileByArch), ...Object.entries(httpFileByArch)].map(([arch, file]) => ({ arch: arch as ClientArch, file: file! }));
}

/**
 * The boot file for a client: iPXE gets the script URL (chainloading iPXE again would loop),
 * UEFI HTTP boot gets an http URL (and must see vendor class HTTPClient echoed, UEFI 2.5
 * 24.7.2), PXE ROMs get iPXE over TFTP for their architecture.
 */
export function bootfileFor(c: ClientClass, urls: BootUrls): BootFile {
  if (c.isIpxe) return { kind: 'ipxe-script', url: urls.ipxeScriptUrl };
  const httpFile = httpFileByArch[c.arch];
  if (c.isHttpClient || httpFile) {
    if (!httpFile) return { kind: 'none', reason: `no HTTP boot file for architecture ${c.arch}` };
    return { kind: 'http', url: new URL(httpFile, urls.httpBootBase).toString(), vendorClass: 'HTTPClient' };
  }
  if (!c.isPxe) return { kind: 'none', reason: 'not a network boot client' };
  const file = tftpFileByArch[c.arch];
  return file ? { kind: 'tftp', bootfile: file } : { kind: 'none', reason: `no iPXE build for architecture ${c.arch}` };
}
