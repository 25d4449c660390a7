/**
 * Runs a DHCP server from a JSON config (argv[2]) so tests can start it inside a network
 * namespace (`ip netns exec NS node --import tsx core/dhcp/testing/run-server.ts '{...}'`).
 * Prints {"ready":true} once bound, one JSON line per event, {"stats":...} when sent
 * "stats" on stdin, and closes on SIGTERM or "close".
 */
import { createInterface } from 'node:readline';
import { fakeBootPolicy } from './fake-boot-policy.ts';
import { openFileLeaseStore } from '../lease-store-file.ts';
import { createDhcpServer, type DhcpServerOptions } from '../server.ts';

const cfg = JSON.parse(process.argv[2]) as Omit<DhcpServerOptions, 'bootPolicy' | 'leaseStore'> & {
  leaseFile?: string;
  urls?: { ipxeScriptUrl: string; httpBootBase: string };
  quiet?: boolean;
};
const out = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');

const server = createDhcpServer({
  ...cfg,
  leaseStore: cfg.leaseFile ? await openFileLeaseStore(cfg.leaseFile) : undefined,
  bootPolicy: cfg.urls ? fakeBootPolicy(cfg.urls) : undefined,
  onEvent: cfg.quiet ? undefined : (e) => out({ event: e }),
});

async function shutdown(code: number) {
  await server.close();
  process.exit(code);
}

try {
  await server.start();
  out({ ready: true });
} catch (e) {
  out({ error: (e as Error).message });
  process.exit(2);
}
process.on('SIGTERM', () => void shutdown(0));
createInterface({ input: process.stdin }).on('line', (l) => {
  if (l === 'stats') out({ stats: server.stats(), memory: process.memoryUsage() });
  if (l === 'close') void shutdown(0);
});
