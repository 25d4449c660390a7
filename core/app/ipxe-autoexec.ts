/**
 * Wiring of iPXE's EFI autoexec.ipxe over TFTP (core/boot/ipxe-autoexec.ts): its answer comes
 * from the boot endpoint (core/api/boot-plugin.ts), so the fate table and the boot timeline
 * stay in one place, as for the Secure Boot chain's GRUB configuration (secure-boot.ts).
 */
import type { FastifyInstance } from 'fastify';
import { ipxeAutoexecTftpResolver } from '../boot/ipxe-autoexec.ts';
import type { BootTimeline } from '../boot/timeline.ts';
import { bootRoutes } from '../boot/urls.ts';
import type { TftpResolver } from '../tftp/server.ts';
import { bootRouteText } from './boot-route-text.ts';

export function ipxeAutoexecTftp(timeline: Pick<BootTimeline, 'macOf'>, app: () => FastifyInstance): TftpResolver {
  return ipxeAutoexecTftpResolver({
    macOf: (ip) => timeline.macOf(ip),
    autoexec: (mac, clientIp) => bootRouteText(app(), bootRoutes.ipxeAutoexec, mac, clientIp),
  });
}
