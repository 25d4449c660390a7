/**
 * The URL layout of the boot path: every `/boot/...` and `/images/...` URL a machine is
 * given, and the route paths that answer them, come from here. A second spelling of one of
 * these is how a retry URL once lost `&platform=` and fell back to BIOS.
 */

/** Route paths, registered by the boot endpoints (core/api/boot-plugin.ts). */
export const bootRoutes = {
  /** iPXE script; with ?mac= the machine's fate, without it the chain script. */
  script: '/boot/ipxe',
  /** First script of an iPXE loaded over TFTP (its embedded or default autoexec name). */
  autoexec: '/boot/autoexec.ipxe',
  agentFile: '/boot/agent/:file',
  /** The agent image of another architecture than the control plane's own (e.g. /boot/agent/arm64/vmlinuz). */
  agentArchFile: '/boot/agent/:arch/:file',
  ipxeFile: '/boot/files/:file',
  images: '/images/*',
  /** Per-MAC GRUB configuration (the Secure Boot chain); TFTP serves the same text (tftpPaths). */
  grubConfig: '/boot/grub/:mac',
  /** iPXE's EFI autoexec.ipxe for a MAC (asked over TFTP, ipxe-autoexec.ts): answered only for a local boot. */
  ipxeAutoexec: '/boot/autoexec/:mac',
  /** The RAM disk a Secure Boot UEFI HTTP boot client boots (shim, GRUB, its configuration, the agent). */
  secureBootDisk: '/boot/secureboot/:mac/boot.img',
  /** Whether an x64 UEFI MAC is sent to its disk by our loader (uefi-local-loader.ts): 200 for a local boot, 404 otherwise. */
  uefiLocalLoader: '/boot/localboot/:mac',
} as const;

/** The agent image's files, as served under /boot/agent/. */
export const AGENT_KERNEL = 'vmlinuz';
export const AGENT_INITRD = 'initramfs.img';
export const AGENT_FILES: readonly string[] = [AGENT_KERNEL, AGENT_INITRD];

/**
 * The agent images by the Debian architecture they are built for: amd64 is the build host's own
 * (served at /boot/agent/), the others are built with `build-image.mjs --arch` (/boot/agent/ARCH/).
 */
export const AGENT_IMAGE_ARCHES = ['amd64', 'arm64'] as const;
export type AgentImageArch = (typeof AGENT_IMAGE_ARCHES)[number];

/**
 * iPXE expands these when it fetches the URL. `netX` is the network device iPXE last opened,
 * i.e. the one it booted from; `net0` is merely the first NIC, which on a machine booting
 * from its second NIC is the wrong MAC.
 */
const IPXE_QUERY = 'mac=${netX/mac}&arch=${buildarch}&platform=${platform}';

/** Every URL a machine is handed, for one base URL of this control plane. */
export interface BootUrls {
  /** e.g. http://10.0.0.1:8080 (no trailing slash). */
  readonly base: string;
  /** The script URL DHCP gives a client already running iPXE: the chain script answers it. */
  readonly chainEntry: string;
  /** Where the chain script (and a failed agent load) sends iPXE: names the MAC, arch and platform. */
  readonly fateScript: string;
  readonly agentKernel: string;
  readonly agentInitrd: string;
  /** The kernel and initramfs URLs of the agent image for an architecture (amd64: the two above). */
  agentFor(arch: AgentImageArch): { kernel: string; initrd: string };
  /** Prefix of every cached OS image URL, with its trailing slash. */
  readonly imagesBase: string;
  /** An iPXE binary by name, for UEFI HTTP boot. */
  ipxeFile(name: string): string;
  /** A cached image file (relative to the cache), e.g. "debian-12.raw.gz". */
  image(file: string): string;
  /** The Secure Boot RAM disk for a MAC (dashes, not colons: nothing in a firmware's URL parser to trip on); arm64's says so. */
  secureBootDisk(mac: string, arch?: AgentImageArch): string;
}

/** How a boot route is told a machine's agent architecture: `?arch=` for arm64, nothing for amd64 (the default). */
export const archQuery = (arch: AgentImageArch): string => (arch === 'amd64' ? '' : `?arch=${arch}`);

export function bootUrls(serverUrl: string): BootUrls {
  const base = serverUrl.replace(/\/+$/, '');
  return {
    base,
    chainEntry: `${base}${bootRoutes.script}`,
    fateScript: `${base}${bootRoutes.script}?${IPXE_QUERY}`,
    agentKernel: `${base}/boot/agent/${AGENT_KERNEL}`,
    agentInitrd: `${base}/boot/agent/${AGENT_INITRD}`,
    agentFor: (arch) => {
      const dir = arch === 'amd64' ? `${base}/boot/agent` : `${base}/boot/agent/${arch}`;
      return { kernel: `${dir}/${AGENT_KERNEL}`, initrd: `${dir}/${AGENT_INITRD}` };
    },
    imagesBase: `${base}/images/`,
    ipxeFile: (name) => `${base}/boot/files/${encodeURIComponent(name)}`,
    image: (file) => `${base}/images/${file}`,
    secureBootDisk: (mac, arch = 'amd64') =>
      `${base}${bootRoutes.secureBootDisk.replace(':mac', mac.toLowerCase().replace(/:/g, '-'))}${archQuery(arch)}`,
  };
}

/**
 * What the Secure Boot chain asks for over TFTP, relative to the TFTP root. Debian's signed
 * grubnetx64 (2.06) has its prefix fixed at (tftp,<next-server>)/grub and reads grub/grub.cfg;
 * it has no HTTP client, so its files come over TFTP (docs/SECURE-BOOT.md).
 */
export const tftpPaths = {
  /** The NBP a Secure Boot client is given: Microsoft-signed shim. */
  shim: 'shimx64.efi',
  /** shim loads this name from the directory it was loaded from: Debian-signed network GRUB. */
  grub: 'grubx64.efi',
  /** What grubnetx64 reads first; it sends GRUB on to the per-MAC file. */
  grubEntry: 'grub/grub.cfg',
  /** The prefix of the per-MAC file; GRUB appends ${net_default_mac} (aa:bb:cc:dd:ee:ff). */
  grubMacPrefix: 'grub/grub.cfg-',
  agentKernel: `agent/${AGENT_KERNEL}`,
  agentInitrd: `agent/${AGENT_INITRD}`,
} as const;

/**
 * The script an EFI iPXE asks for over TFTP, through the firmware's network stack and the lease
 * the firmware holds, before any DHCP of its own; it runs it instead of its autoboot. The name
 * is relative to the NBP's directory, which is the TFTP root here (iPXE then tries the root too).
 */
export const IPXE_AUTOEXEC_TFTP = 'autoexec.ipxe';

/**
 * The files of the Secure Boot RAM disk (core/boot/secure-boot-disk.ts), as lower-case 8.3 names
 * of its FAT volume. Debian's signed grubnetx64 has no HTTP client (no `http` module is built
 * in, and under lockdown none can be loaded), so over UEFI HTTP boot everything it reads must
 * be on the disk the firmware loaded: its prefix is then (hd0)/grub (docs/SECURE-BOOT.md).
 */
export const ramDiskPaths = {
  /** The firmware boots a RAM disk's removable-media loader: Microsoft-signed shim. */
  shim: 'efi/boot/bootx64.efi',
  /** shim loads grubx64.efi from its own directory. */
  grub: 'efi/boot/grubx64.efi',
  /** grubnetx64 reads $prefix/grub.cfg: here the machine's own configuration. */
  grubConfig: 'grub/grub.cfg',
  agentKernel: 'agent/vmlinuz',
  agentInitrd: 'agent/initrd.img',
} as const;
