/**
 * The pipeline chain, one of the alternatives bench/fanout.bench.ts measures fan-out against
 * (docs/FANOUT.md): agent 0 streams the image from the control plane, agent i streams it from
 * agent i-1, and every agent passes on each byte as soon as it is on its disk (cut-through, no
 * store-and-forward). A bench prototype, not product code: no tracker, no re-planning when a
 * link in the chain dies (that brittleness is the analysis in FANOUT.md; here the chain is
 * healthy, its best case).
 *
 * What an agent serves comes back from the disk it wrote (as fan-out's peers do), read up to
 * the bytes already written: GET /chain streams the whole image, waiting at the writer's edge.
 */
import { createHash } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { open, type FileHandle } from 'node:fs/promises';
import http from 'node:http';
import { createGunzip } from 'node:zlib';
import type { DiskJob, Received } from './disk-job.ts';

export const CHAIN_PORT = 7400;
const PIECE = 64 * 1024;

export interface ChainOptions extends DiskJob {
  /** Where this agent streams from: the control plane's image URL (agent 0) or its predecessor's /chain. */
  source: string;
  /** The source is gzip (the control plane's served copy); a predecessor serves raw bytes. */
  gzip: boolean;
  /** Someone streams from this agent: it keeps serving until that stream ended. */
  successor: boolean;
}

/** How far the disk is written; 'moved' each time it grows. Read by the server, moved by the stream. */
class Edge extends EventEmitter {
  written = 0;
}

/** Opens the disk and, with a successor, listens (before the bench's "go": the successor connects at once); run() streams. */
export async function chainAgent(o: ChainOptions): Promise<{ run: () => Promise<Received> }> {
  const disk = await open(o.target, 'r+');
  const edge = new Edge();
  const served = o.successor ? (await serve(disk, o.size, edge)).done : Promise.resolve();
  return { run: () => stream(o, disk, edge, served) };
}

async function stream(o: ChainOptions, disk: FileHandle, edge: Edge, served: Promise<void>): Promise<Received> {
  const res = await get(o.source);
  if (res.statusCode !== 200) throw new Error(`chain source ${o.source} answered ${res.statusCode}`);
  const body = o.gzip ? res.pipe(createGunzip()) : res;
  const hash = createHash('sha256');
  let wire = 0;
  if (o.gzip) res.on('data', (b: Buffer) => (wire += b.length));
  for await (const b of body as AsyncIterable<Buffer>) {
    for (let off = 0; off < b.length; ) off += (await disk.write(b, off, b.length - off, edge.written + off)).bytesWritten;
    hash.update(b);
    edge.written += b.length;
    if (!o.gzip) wire += b.length;
    edge.emit('moved');
  }
  if (edge.written !== o.size || `sha256:${hash.digest('hex')}` !== o.checksum) throw new Error(`chain: disk is not the image (${edge.written} of ${o.size} bytes)`);
  o.onVerified();
  await served;
  await disk.close();
  return o.gzip ? { fromServer: wire, fromPeers: 0 } : { fromServer: 0, fromPeers: wire };
}

/** Listens; serves GET /chain once (the successor), the disk's bytes as they are written. `done` resolves when all are sent. */
async function serve(disk: FileHandle, size: number, edge: Edge): Promise<{ done: Promise<void> }> {
  let listening!: () => void;
  const up = new Promise<void>((r) => (listening = r));
  const done = new Promise<void>((resolve, reject) => {
    const server = http.createServer((req, res) => {
      if (req.url !== '/chain') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': String(size), 'content-type': 'application/octet-stream' });
      void (async () => {
        for (let pos = 0; pos < size; ) {
          if (pos >= edge.written) {
            await once(edge, 'moved');
            continue;
          }
          const buf = Buffer.allocUnsafe(PIECE); // a written buffer stays queued on the socket until sent: never reused
          const { bytesRead } = await disk.read(buf, 0, Math.min(PIECE, edge.written - pos), pos);
          pos += bytesRead;
          if (!res.write(buf.subarray(0, bytesRead))) await once(res, 'drain');
        }
        res.end(() => server.close(() => resolve()));
      })().catch(reject);
    });
    server.listen(CHAIN_PORT, '0.0.0.0', listening);
    server.on('error', reject);
  });
  void done.catch(() => undefined); // awaited by the stream; not an unhandled rejection meanwhile
  await up;
  return { done };
}

function get(url: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => http.get(url, { headers: { 'accept-encoding': 'identity' } }, resolve).on('error', reject));
}
