/**
 * Wiring of the Secure Boot chain (docs/SECURE-BOOT.md): which chain UEFI x64 PXE clients get,
 * and the TFTP files of that chain, whose per-MAC GRUB configuration is answered by the boot
 * endpoint (core/api/boot-plugin.ts), so admission, tokens and the timeline stay in one place.
 */
import type { FastifyInstance } from 'fastify';
import { dirname, join } from 'node:path';
import type { UefiChain } from '../boot/bootfile.ts';
import type { IpxeRefusals } from '../boot/ipxe-refusal.ts';
import { secureBootTftpResolver } from '../boot/secure-boot-tftp.ts';
import { archQuery, bootRoutes } from '../boot/urls.ts';
import type { HardwareIndex } from '../inventory/hardware-index.ts';
import type { AnsweringDhcpMode } from '../shared/dhcp-mode.ts';
import type { Mac } from '../shared/mac.ts';
import type { TftpResolver } from '../tftp/server.ts';
import { bootRouteText } from './boot-route-text.ts';
import type { ControlPlaneConfig } from './config.ts';

/**
 * The one decision of which chain a UEFI x64 or arm64 PXE client gets (docs/SECURE-BOOT.md; the
 * same for both CPUs: what "shim" is for each is signed-chain.ts). DHCP cannot
 * tell whether the firmware enforces Secure Boot, so auto (the default) goes by what the control
 * plane knows of the machine: iPXE (faster, HTTP) only when its agent reported Secure Boot off;
 * shim when it reported on, and when nothing is known (never registered, or fact unknown),
 * because shim -> GRUB boots with Secure Boot on or off while iPXE would be refused.
 * Behind proxyDHCP auto keeps iPXE for PXE clients: Debian's network GRUB takes its server from
 * the site's DHCPACK, not from our proxy offer, and never asks us for its configuration (lab,
 * 50-proxy). A UEFI HTTP boot client is not affected: its GRUB reads everything from the RAM
 * disk the firmware downloaded (secure-boot-disk.ts), in proxy mode as in full (lab, 37).
 */
export function uefiChainFor(mode: ControlPlaneConfig['secureBoot'], secureBoot: boolean | undefined, dhcp: AnsweringDhcpMode = 'full', viaHttp = false): UefiChain {
  if (mode === 'off') return 'ipxe';
  if (mode === 'on') return 'shim';
  return secureBoot === false || (dhcp === 'proxy' && !viaHttp) ? 'ipxe' : 'shim';
}

/**
 * The per-MAC chooser the DHCP server asks: the setting and the machine's last reported fact.
 * A machine whose firmware refused the iPXE it was given (ipxe-refusal.ts: Secure Boot turned
 * on since its agent reported off) counts as unknown, so it is sent the signed chain.
 */
export function uefiChainByMac(
  mode: ControlPlaneConfig['secureBoot'],
  index: Pick<HardwareIndex, 'secureBootByMac'>,
  refusals?: Pick<IpxeRefusals, 'refused'>,
): (mac: Mac, dhcp: AnsweringDhcpMode, viaHttp: boolean) => UefiChain {
  return (mac, dhcp, viaHttp) => uefiChainFor(mode, refusals?.refused(mac) ? undefined : index.secureBootByMac(mac), dhcp, viaHttp);
}

/** The signed binaries sit beside the iPXE ones: assets/secureboot, or resources/secureboot when packaged. */
export function secureBootDirOf(ipxeDir: string): string {
  return join(dirname(ipxeDir), 'secureboot');
}

export function secureBootTftp(c: Pick<ControlPlaneConfig, 'secureBoot'>, dirs: { ipxe: string; agentImage: string }, app: () => FastifyInstance): TftpResolver | undefined {
  if (c.secureBoot === 'off') return undefined; // no client is ever sent shim
  return secureBootTftpResolver({
    signedDir: secureBootDirOf(dirs.ipxe),
    agentImageDir: dirs.agentImage,
    // The route reads `arch` as iPXE's ${buildarch} (agent-arch.ts), whose word for arm64 is the image's.
    grubConfig: (mac, clientIp, arch) => bootRouteText(app(), `${bootRoutes.grubConfig}${archQuery(arch)}`, mac, clientIp),
  });
}
