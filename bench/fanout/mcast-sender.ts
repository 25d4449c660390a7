/**
 * The control plane's multicast sender in bench/fanout.bench.ts (bench/fanout/multicast.ts), run
 * in the control plane's namespace. Prints "ready", sends on a line on stdin, then prints
 * {passes, blocksSent, repairBlocks} and exits.
 *   node --import tsx bench/fanout/mcast-sender.ts RAW_IMAGE RECEIVERS ADDRESS RATE_BYTES_PER_S
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { multicastSend } from './multicast.ts';

const [image, receivers, address, rate] = process.argv.slice(2);
const bytes = await readFile(image);
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
await new Promise((r) => lines.once('line', r));
const r = await multicastSend({ image: bytes, receivers: Number(receivers), address, rate: Number(rate) });
process.stdout.write(JSON.stringify(r) + '\n');
process.exit(0);
