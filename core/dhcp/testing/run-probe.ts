/** `node --import tsx run-probe.ts IFACE TIMEOUT_MS`: prints probeExistingDhcp's answer as JSON. */
import { probeExistingDhcp } from '../probe.ts';

const [iface, ms] = process.argv.slice(2);
process.stdout.write(JSON.stringify({ offers: await probeExistingDhcp(iface, Number(ms)) }) + '\n');
