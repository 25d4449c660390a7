/**
 * Runs the real NetworkServices from JSON (argv[2]: { dataDir, ipxeDir, probeSeconds, settings })
 * so a test can start it inside a network namespace it created. Prints
 * {"health":...,"serverUrl":...} after each apply, one {"step":...} line per boot step;
 * reads "apply <settings JSON>" and "close" on stdin; closes on SIGTERM.
 */
import { createInterface } from 'node:readline';
import { NetworkServices, type ProvisioningSettings } from '../network-services.ts';

const cfg = JSON.parse(process.argv[2]) as { dataDir: string; ipxeDir: string; probeSeconds?: number; settings: ProvisioningSettings };
const out = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');

const services = new NetworkServices({
  steps: { recordBootStep: async (mac, step, detail) => void out({ step: { mac, step, detail } }) },
  dataDir: cfg.dataDir,
  ipxeDir: cfg.ipxeDir,
  probeSeconds: cfg.probeSeconds,
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
