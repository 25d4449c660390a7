/**
 * Which boot file each kind of network-boot client gets. core/dhcp only classifies the
 * client from its packet (RFC 4578 architecture, PXE / HTTPClient / iPXE); the iPXE build
 * names and the URLs they are served from are boot knowledge and live here.
 */
import type { BootAnswer, BootPolicy } from '../dhcp/boot-policy.ts';
import type { ClientArch, ClientClass } from '../dhcp/classify.ts';
import type { Mac } from '../shared/mac.ts';
import { signedDiskArchFor, signedShimFor } from './signed-chain.ts';
import { type BootUrls } from './urls.ts';

export type Firmware = 'bios' | 'uefi';

export type BootFile =
  | { kind: 'tftp'; bootfile: string }
  | { kind: 'http'; url: string; vendorClass: 'HTTPClient' }
  | { kind: 'ipxe-script'; url: string }
  | { kind: 'none'; reason: string };

/** The iPXE builds shipped in assets/ipxe, per architecture, over TFTP. */
const tftpFileByArch: Partial<Record<ClientArch, string>> = {
  bios: 'undionly.kpxe',
  'uefi-x64': 'snponly.efi',
  'uefi-arm64': 'ipxe-arm64.efi',
};
/** The same builds for UEFI HTTP boot clients. */
const httpFileByArch: Partial<Record<ClientArch, string>> = {
  'http-x64': 'snponly.efi',
  'http-arm64': 'ipxe-arm64.efi',
};

/**
 * Whether a boot file handed out (a TFTP name or an HTTP URL) is an unsigned UEFI iPXE (x64 or
 * arm64), one a firmware with Secure Boot on refuses (ipxe-refusal.ts watches for that).
 */
export function isUnsignedUefiIpxe(bootfile: string): boolean {
  return [tftpFileByArch['uefi-x64']!, tftpFileByArch['uefi-arm64']!].some((file) => bootfile === file || bootfile.endsWith(`/${file}`));
}

/** Every iPXE binary a client may be sent, per architecture (for "can machines boot?" checks). */
export function ipxeFilesByArch(): Array<{ arch: ClientArch; file: string }> {
  return [...Object.entries(tftpFileByArch), ...Object.entries(httpFileByArch)].map(([arch, file]) => ({ arch: arch as ClientArch, file: file! }));
}

/**
 * How a UEFI x64 or arm64 PXE client is booted: 'ipxe' (snponly.efi / ipxe-arm64.efi, unsigned: a
 * machine with Secure Boot on refuses it) or 'shim', the signed chain shim -> GRUB (boots with Secure Boot on or off, and
 * boots a provisioned machine's disk directly). docs/SECURE-BOOT.md says when to pick which.
 */
export type UefiChain = 'ipxe' | 'shim';

/** A UEFI HTTP boot client (vendor class HTTPClient or an HTTP architecture, RFC 4578 / IANA 16, 19). */
function isHttpBoot(c: ClientClass): boolean {
  return c.isHttpClient || httpFileByArch[c.arch] !== undefined;
}

/**
 * The boot file for a client: iPXE gets the script URL (chainloading iPXE again would loop),
 * UEFI HTTP boot gets an http URL (and must see vendor class HTTPClient echoed, UEFI 2.5
 * 24.7.2), PXE ROMs get iPXE over TFTP for their architecture. When `uefiChain` says shim,
 * UEFI x64 and arm64 PXE clients get their architecture's shim over TFTP (signed-chain.ts), and
 * HTTP boot clients their architecture's RAM disk that holds the whole chain for their MAC
 * (docs/SECURE-BOOT.md: the signed GRUB has no HTTP client).
 */
export function bootfileFor(c: ClientClass, urls: BootUrls, uefiChain: UefiChain = 'ipxe', mac?: string): BootFile {
  if (c.isIpxe) return { kind: 'ipxe-script', url: urls.chainEntry };
  const httpFile = httpFileByArch[c.arch];
  if (isHttpBoot(c)) {
    const diskArch = uefiChain === 'shim' && mac ? signedDiskArchFor(c.arch) : undefined;
    if (diskArch && mac) return { kind: 'http', url: urls.secureBootDisk(mac, diskArch), vendorClass: 'HTTPClient' };
    if (!httpFile) return { kind: 'none', reason: `no HTTP boot file for architecture ${c.arch}` };
    return { kind: 'http', url: urls.ipxeFile(httpFile), vendorClass: 'HTTPClient' };
  }
  if (!c.isPxe) return { kind: 'none', reason: 'not a network boot client' };
  const shim = uefiChain === 'shim' ? signedShimFor(c.arch) : undefined;
  if (shim) return { kind: 'tftp', bootfile: shim };
  const file = tftpFileByArch[c.arch];
  return file ? { kind: 'tftp', bootfile: file } : { kind: 'none', reason: `no iPXE build for architecture ${c.arch}` };
}

/** The answer the DHCP server puts on the wire for a boot file; undefined: no boot information. */
export function dhcpAnswerFor(f: BootFile, nextServer?: string): BootAnswer | undefined {
  switch (f.kind) {
    case 'tftp':
      return { bootfile: f.bootfile, ...(nextServer ? { nextServer } : {}) };
    case 'http':
      return { bootfile: f.url, vendorClass: f.vendorClass };
    case 'ipxe-script':
      return { bootfile: f.url };
    case 'none':
      return undefined;
  }
}

/**
 * The callback the DHCP server is given. URLs are read at every request, so a change of
 * the advertised address (network settings) reaches the very next client; so is the UEFI
 * chain, per MAC (core/app/secure-boot.ts decides it).
 */
export function bootPolicy(urls: () => BootUrls, nextServer?: () => string | undefined, uefiChain?: (mac: Mac, viaHttp: boolean) => UefiChain): BootPolicy {
  return (client, mac) => dhcpAnswerFor(bootfileFor(client, urls(), uefiChain?.(mac, isHttpBoot(client)), mac), nextServer?.());
}

/** iPXE's ${platform} ("pcbios" or "efi") as the firmware the script is written for. */
export function firmwareFrom(platform: string | undefined): Firmware {
  return platform === 'efi' ? 'uefi' : 'bios';
}
