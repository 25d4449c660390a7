/**
 * The control plane of bench/fanout.bench.ts, run inside its network namespace: the real API
 * with fan-out (tracker, manifests of CHUNK bytes), the image in its /images, N machines
 * registered. Prints {url, tokens} as one JSON line, then serves until stdin closes.
 *   node --import tsx bench/fanout/cp.ts IMAGE_FILE CHUNK_BYTES N HOST
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createFanoutHarness } from '../../core/testing/fanout-harness.ts';
import { sampleFacts } from '../../core/testing/api-harness.ts';

const [image, chunkArg, nArg, host] = process.argv.slice(2);
const h = await createFanoutHarness(Number(chunkArg));
await mkdir(join(h.dataDir, 'images'), { recursive: true });
await copyFile(image, join(h.dataDir, 'images', basename(image)));
const tokens: string[] = [];
for (let i = 0; i < Number(nArg); i++) {
  const mac = `52:54:02:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
  const uuid = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`; // one machine per MAC (the registrar matches machines by DMI UUID too)
  await h.registrar.register(mac, sampleFacts([mac], { dmi: { vendor: 'QEMU', product: 'bench', uuid } }));
  tokens.push(h.auth.issueAgentToken(mac));
}
const url = await h.app.listen({ host, port: 8080 });
process.stdout.write(JSON.stringify({ url, tokens }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => void h.close().then(() => process.exit(0)));
