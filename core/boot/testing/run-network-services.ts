/**
 * Runs the real NetworkServices from JSON (argv[2]: { dataDir, ipxeDir, probeSeconds, settings,
 * helper? }) so a test can start it inside a network namespace it created; with `helper` (a
 * --priv-helper target) its sockets are the privileged helper's, as core/app wires them. Prints
 * {"health":...,"serverUrl":...} after each apply, one {"step":...} line per boot step and one
 * {"log":...} line per info/warn log message;
 * reads "apply <settings JSON>" and "close" on stdin; closes on SIGTERM.
 */
import { createInterface } from 'node:readline';
import { parseHelperTarget } from '../../privhelper/client.ts';
import { helperBackedSockets } from '../../privhelper/service-sockets.ts';
import type { Logger } from '../../shared/logger.ts';
import { NetworkServices, type ProvisioningSettings } from '../network-services.ts';

const cfg = JSON.parse(process.argv[2]) as { dataDir: string; ipxeDir: string; probeSeconds?: number; settings: ProvisioningSettings; helper?: string };
const out = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');
const print = (o: unknown, msg?: string) => void out({ log: msg ?? (typeof o === 'string' ? o : '') });
const logger = { info: print, warn: print, error: print, debug: () => {}, child: () => logger } as unknown as Logger;

const services = new NetworkServices({
  steps: { recordBootStep: async (mac, step, detail) => void out({ step: { mac, step, detail } }) },
  dataDir: cfg.dataDir,
  ipxeDir: cfg.ipxeDir,
  probeSeconds: cfg.probeSeconds,
  logger,
  sockets: cfg.helper ? helperBackedSockets(parseHelperTarget(cfg.helper), logger) : undefined,
  http: () => ({ listen: '0.0.0.0', port: 8080 }),
});

async function apply(s: ProvisioningSettings) {
  await services.apply(s);
  out({ health: services.health(), serverUrl: services.serverUrl() });
}

async function shutdown() {
  await services.close();
  process.exit(0);
}

await apply(cfg.settings);
process.on('SIGTERM', () => void shutdown());
createInterface({ input: process.stdin }).on('line', (l) => {
  if (l.startsWith('apply ')) void apply(JSON.parse(l.slice(6)));
  if (l === 'close') void shutdown();
});
