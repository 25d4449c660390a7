/**
 * Wiring of our UEFI disk loader (core/boot/uefi-local-loader.ts): where the binary is, and
 * its TFTP answer, decided by the boot endpoint (core/api/boot-plugin.ts) so the fate table
 * and the boot timeline stay in one place, as for iPXE's autoexec.ipxe (ipxe-autoexec.ts).
 */
import type { FastifyInstance } from 'fastify';
import { dirname, join } from 'node:path';
import type { BootTimeline } from '../boot/timeline.ts';
import { UEFI_LOCAL_LOADER, UEFI_LOCAL_LOADER_DIR, uefiLocalLoaderTftpResolver } from '../boot/uefi-local-loader.ts';
import { bootRoutes } from '../boot/urls.ts';
import type { TftpResolver } from '../tftp/server.ts';
import { bootRouteText } from './boot-route-text.ts';

/** The loader sits beside the iPXE binaries: assets/localboot, or resources/localboot when packaged. */
export function uefiLocalLoaderPath(ipxeDir: string): string {
  return join(dirname(ipxeDir), UEFI_LOCAL_LOADER_DIR, UEFI_LOCAL_LOADER);
}

export function uefiLocalLoaderTftp(timeline: Pick<BootTimeline, 'macOf'>, ipxeDir: string, app: () => FastifyInstance): TftpResolver {
  return uefiLocalLoaderTftpResolver({
    macOf: (ip) => timeline.macOf(ip),
    toDisk: async (mac, clientIp) => (await bootRouteText(app(), bootRoutes.uefiLocalLoader, mac, clientIp)) !== undefined,
    loaderPath: uefiLocalLoaderPath(ipxeDir),
  });
}
