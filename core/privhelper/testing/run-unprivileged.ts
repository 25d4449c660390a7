/**
 * Runs DHCP (full mode, with the PXE port) and TFTP on one interface through the privileged
 * helper's socket factories, for tests that start it as an unprivileged user inside a namespace.
 * argv[2] is JSON: { iface, helper, range, leaseFile, tftpRoot }. Prints {"ready":...} with
 * whether this process could have bound UDP 67 itself, then one JSON line per DHCP/TFTP event.
 */
import { interfaceIpv4 } from '../../dhcp/bind-to-interface.ts';
import { openFileLeaseStore } from '../../dhcp/lease-store-file.ts';
import { createDhcpServer } from '../../dhcp/server.ts';
import { createTftpServer } from '../../tftp/server.ts';
import { parseHelperTarget } from '../client.ts';
import { helperBackedSockets, mayBindDirectly } from '../service-sockets.ts';

const cfg = JSON.parse(process.argv[2]) as { iface: string; helper: string; range: { start: string; end: string }; leaseFile: string; tftpRoot: string };
const out = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');
const lines: string[] = [];
const logger = {
  info: (_o: unknown, msg?: string) => void lines.push(msg ?? ''),
  warn: () => {},
  error: () => {},
  debug: () => {},
  child: () => logger,
};
const sockets = helperBackedSockets(parseHelperTarget(cfg.helper), logger as never);
const address = interfaceIpv4(cfg.iface)!.address;

try {
  const dhcp = createDhcpServer({
    interface: cfg.iface,
    mode: 'full',
    range: cfg.range,
    leaseSeconds: 600,
    leaseStore: await openFileLeaseStore(cfg.leaseFile),
    socketFactory: sockets.dhcp,
    onEvent: (e) => out({ dhcp: e.type }),
  });
  await dhcp.start();
  const tftp = await createTftpServer({ address, root: cfg.tftpRoot, ...sockets.tftp(cfg.iface), onEvent: (e) => out({ tftp: e.type, path: e.path }) });
  out({ ready: true, uid: process.getuid?.(), direct67: await mayBindDirectly(67, '0.0.0.0'), tftpPort: tftp.address.port, log: lines });
  process.on('SIGTERM', () => void Promise.all([dhcp.close(), tftp.close()]).then(() => process.exit(0)));
} catch (e) {
  out({ error: (e as Error).message, log: lines });
  process.exit(2);
}
