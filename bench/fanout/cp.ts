/**
 * The control plane of bench/fanout.bench.ts, run inside its network namespace: the real API
 * with fan-out (tracker, manifests of CHUNK bytes), the image in its /images, N machines
 * registered. Prints {url, tokens} as one JSON line, then serves until stdin closes; each line
 * "stats" on stdin is answered with one JSON line: bytes the control plane sent (HTTP, headers
 * included) and requests, for tracker calls, chunk runs and the rest apart.
 *   node --import tsx bench/fanout/cp.ts IMAGE_FILE CHUNK_BYTES N HOST
 */
import { copyFile, mkdir } from 'node:fs/promises';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
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
const sent = countByKind(h.app.server);
const url = await h.app.listen({ host, port: 8080 });
process.stdout.write(JSON.stringify({ url, tokens }) + '\n');
// the tracker's account of the swarm rides along: control-plane sends and why, single-holder times
const stats = () => ({ ...sent(), swarm: h.tracker.stats(basename(image)) });
createInterface({ input: process.stdin }).on('line', (l) => l === 'stats' && process.stdout.write(JSON.stringify(stats()) + '\n'));
process.stdin.on('end', () => void h.close().then(() => process.exit(0)));

/** Which part of the control plane's traffic a request is: the tracker's, the image's chunks, or the rest. */
const kindOf = (url: string) => (/\/fanout\/tracker$/.test(url) ? 'tracker' : url.includes('/chunks/') ? 'chunks' : 'other');

/**
 * Bytes each response put on the socket (status line, headers, body), by kind. One request at a
 * time per keep-alive socket, so the socket's counter from request to close is that response.
 * The tracker's channels are WebSockets: everything their sockets sent (the upgrade's answer
 * included) is the tracker's, and its asks are the tracker's count of calls.
 */
function countByKind(server: Server) {
  const sent = { tracker: { requests: 0, bytes: 0 }, chunks: { requests: 0, bytes: 0 }, other: { requests: 0, bytes: 0 } };
  const channels: Socket[] = [];
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => void (kindOf(req.url ?? '') === 'tracker' && channels.push(socket)));
  const trackerCalls = () => Object.values(h.tracker.stats(basename(image)).calls).reduce((a, b) => a + b, 0);
  const snapshot = () => ({ ...sent, tracker: { requests: trackerCalls(), bytes: channels.reduce((n, c) => n + c.bytesWritten, 0) } });
  server.on('request', (req, res) => {
    const before = req.socket.bytesWritten;
    res.once('close', () => {
      const k = sent[kindOf(req.url ?? '')];
      k.requests++;
      k.bytes += req.socket.bytesWritten - before;
    });
  });
  return snapshot;
}
