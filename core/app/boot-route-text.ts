/**
 * What a boot route answers for a MAC, asked from inside the process: the TFTP side of the boot
 * (GRUB configurations, iPXE's autoexec.ipxe) serves the same text a client could fetch over
 * HTTP, with the TFTP client's address as its own, so admission, the fate table and the boot
 * timeline stay in the boot endpoints (core/api/boot-plugin.ts).
 */
import type { FastifyInstance } from 'fastify';

/** The body of `route` (with `:mac`) for that MAC; undefined unless it answered 200. */
export async function bootRouteText(app: FastifyInstance, route: string, mac: string, clientIp: string): Promise<string | undefined> {
  const res = await app.inject({ method: 'GET', url: route.replace(':mac', mac), remoteAddress: clientIp });
  return res.statusCode === 200 ? res.body : undefined;
}
