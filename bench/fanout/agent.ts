/**
 * One simulated agent of bench/fanout.bench.ts (bundled, run in its own network namespace):
 * the real image2disk code, unicast (writeImage) or fan-out (writeImageByFanout), to a file; or
 * one of the alternatives measured beside them, the bench's prototypes of a pipeline chain
 * (./chain.ts) and of multicast with repair (./multicast.ts), whose options come as JSON.
 * Prints "ready", waits for a line on stdin, writes, prints {ms, fromServer, fromPeers, maxRssKiB}.
 *   node agent.mjs unicast|fanout|chain|multicast URL TOKEN FILE CHECKSUM TARGET [OPTIONS_JSON]
 */
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { nodeHttpGet } from '../../agent/actions/http-get.ts';
import { writeImage } from '../../agent/actions/image2disk.ts';
import { writeImageByFanout } from '../../agent/fanout/image2disk-fanout.ts';
import { chainAgent } from './chain.ts';
import { multicastReceiver } from './multicast.ts';

const [mode, serverUrl, token, file, checksum, target, options] = process.argv.slice(2);
await writeFile(target, Buffer.alloc(0));
let verifiedMs: number | undefined;
let t0 = 0;
const onVerified = () => (verifiedMs = performance.now() - t0);
const alternative =
  mode === 'chain' ? await chainAgent({ ...JSON.parse(options), checksum, target, onVerified })
  : mode === 'multicast' ? await multicastReceiver({ ...JSON.parse(options), checksum, target, onVerified })
  : undefined;
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
await new Promise((r) => lines.once('line', r));
// unicast's bytes taken in so far, for the bench's "progress" (a unicast round stopped after its window)
let taken = 0;
lines.on('line', (l) => l === 'progress' && process.stdout.write(JSON.stringify({ progress: taken }) + '\n'));
t0 = performance.now();
const url = `${serverUrl}/images/${file}`;
let out: { fromServer: number; fromPeers: number; failures?: Record<string, number> };
if (alternative) out = await alternative.run();
else if (mode === 'fanout') {
  const r = await writeImageByFanout({ url, serverUrl, token, checksum, target, onVerified, say: (l) => process.stderr.write(l + '\n') });
  if (!r) throw new Error('fan-out refused');
  if (r.dropped.length) process.stderr.write(`dropped ${JSON.stringify(r.dropped)}\n`);
  out = { fromServer: r.bytesFromServer, fromPeers: r.bytesFromPeers, failures: r.failures };
} else {
  const r = await writeImage({ url, checksum, target, httpGet: nodeHttpGet(), progressIntervalMs: 0, onProgress: (p) => (taken = p.bytesDone) });
  out = { fromServer: r.bytes, fromPeers: 0 };
}
// the time to a verified disk, not the time spent serving others afterwards; peak RSS in KiB
process.stdout.write(JSON.stringify({ ms: verifiedMs ?? performance.now() - t0, ...out, maxRssKiB: process.resourceUsage().maxRSS }) + '\n');
process.exit(0);
