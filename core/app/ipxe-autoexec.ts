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

export function ipxeAutoexecTftp(timeline: Pick<BootTimeline, 'macOf'>, app: () => FastifyInstance): TftpResolver {
  return ipxeAutoexecTftpResolver({
    macOf: (ip) => timeline.macOf(ip),
    autoexec: async (mac, clientIp) => {
      // The same route a client could fetch over HTTP, with the TFTP client's address as its own.
      const res = await app().inject({ method: 'GET', url: bootRoutes.ipxeAutoexec.replace(':mac', mac), remoteAddress: clientIp });
      return res.statusCode === 200 ? res.body : undefined;
    },
  });
}

/** Resolvers asked in order; the first that serves a name wins, none: the TFTP root. */
export function firstTftpResolver(...resolvers: (TftpResolver | undefined)[]): TftpResolver {
  const chain = resolvers.filter((r): r is TftpResolver => r !== undefined);
  return async (path, client) => {
    for (const resolve of chain) {
      const file = await resolve(path, client);
      if (file) return file;
    }
    return undefined;
  };
}
