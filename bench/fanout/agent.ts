/**
 * One simulated agent of bench/fanout.bench.ts (bundled, run in its own network namespace):
 * the real image2disk code, unicast (writeImage) or fan-out (writeImageByFanout), to a file.
 * Prints "ready", waits for a line on stdin, writes, prints {ms, fromServer, fromPeers, maxRssKiB}.
 *   node agent.mjs unicast|fanout URL TOKEN FILE CHECKSUM TARGET
 */
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { nodeHttpGet } from '../../agent/actions/http-get.ts';
import { writeImage } from '../../agent/actions/image2disk.ts';
import { writeImageByFanout } from '../../agent/fanout/image2disk-fanout.ts';

const [mode, serverUrl, token, file, checksum, target] = process.argv.slice(2);
await writeFile(target, Buffer.alloc(0));
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
await new Promise((r) => lines.once('line', r));
const t0 = performance.now();
const url = `${serverUrl}/images/${file}`;
let out: { fromServer: number; fromPeers: number; failures?: Record<string, number> };
let verifiedMs: number | undefined;
if (mode === 'fanout') {
  const onVerified = () => (verifiedMs = performance.now() - t0);
  const r = await writeImageByFanout({ url, serverUrl, token, checksum, target, onVerified, say: (l) => process.stderr.write(l + '\n') });
  if (!r) throw new Error('fan-out refused');
  if (r.dropped.length) process.stderr.write(`dropped ${JSON.stringify(r.dropped)}\n`);
  out = { fromServer: r.bytesFromServer, fromPeers: r.bytesFromPeers, failures: r.failures };
} else {
  const r = await writeImage({ url, checksum, target, httpGet: nodeHttpGet() });
  out = { fromServer: r.bytes, fromPeers: 0 };
}
// the time to a verified disk, not the time spent serving others afterwards; peak RSS in KiB
process.stdout.write(JSON.stringify({ ms: verifiedMs ?? performance.now() - t0, ...out, maxRssKiB: process.resourceUsage().maxRSS }) + '\n');
process.exit(0);
