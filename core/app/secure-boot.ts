/**
 * Wiring of the Secure Boot chain (docs/SECURE-BOOT.md): which chain UEFI x64 PXE clients get,
 * and the TFTP files of that chain, whose per-MAC GRUB configuration is answered by the boot
 * endpoint (core/api/boot-plugin.ts), so admission, tokens and the timeline stay in one place.
 */
import type { FastifyInstance } from 'fastify';
import { dirname, join } from 'node:path';
import type { UefiChain } from '../boot/bootfile.ts';
import { secureBootTftpResolver } from '../boot/secure-boot-tftp.ts';
import { bootRoutes } from '../boot/urls.ts';
import type { TftpResolver } from '../tftp/server.ts';
import type { ControlPlaneConfig } from './config.ts';

/** auto: every UEFI x64 PXE client gets the signed chain (it boots with Secure Boot on or off); off: iPXE. */
export function uefiChainFor(mode: ControlPlaneConfig['secureBoot']): UefiChain {
  return mode === 'auto' ? 'shim' : 'ipxe';
}

/** The signed binaries sit beside the iPXE ones: assets/secureboot, or resources/secureboot when packaged. */
export function secureBootDirOf(ipxeDir: string): string {
  return join(dirname(ipxeDir), 'secureboot');
}

export function secureBootTftp(c: Pick<ControlPlaneConfig, 'secureBoot'>, dirs: { ipxe: string; agentImage: string }, app: () => FastifyInstance): TftpResolver | undefined {
  if (uefiChainFor(c.secureBoot) !== 'shim') return undefined;
  return secureBootTftpResolver({
    signedDir: secureBootDirOf(dirs.ipxe),
    agentImageDir: dirs.agentImage,
    grubConfig: async (mac, clientIp) => {
      // The same route a client could fetch over HTTP, with the TFTP client's address as its own.
      const res = await app().inject({ method: 'GET', url: bootRoutes.grubConfig.replace(':mac', mac), remoteAddress: clientIp });
      return res.statusCode === 200 ? res.body : undefined;
    },
  });
}
