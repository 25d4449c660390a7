import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { open, type FileHandle } from 'node:fs/promises';
import type { FanoutManifest } from '../../core/contract/fanout.ts';

/** Uploads at once; more get 503 and the asker goes elsewhere. Bounds the RAM a peer spends serving (one chunk each). */
export const MAX_UPLOADS = 4;

export interface PeerServer {
  port: number;
  /** Chunk i is verified and on the target: it may be served from now on. */
  hold(i: number): void;
  close(): Promise<void>;
}

/**
 * The agent's chunk server: GET /fanout/<image>/<i> answers chunk i of the image being written,
 * read back from the target disk (never a copy in RAM beyond the chunk being sent), and only once
 * it was verified against the manifest and written.
 */
export async function startPeerServer(target: string, m: FanoutManifest, host = '0.0.0.0', port = 0): Promise<PeerServer> {
  const fh = await open(target, 'r');
  const held = new Set<number>();
  let uploads = 0;
  const server = http.createServer((req, res) => {
    const chunk = chunkAsked(req.url ?? '', m);
    if (req.method !== 'GET' || chunk === undefined) return void res.writeHead(404).end('no such chunk\n');
    if (!held.has(chunk)) return void res.writeHead(404).end(`chunk ${chunk} is not here yet\n`);
    if (uploads >= MAX_UPLOADS) return void res.writeHead(503, { 'retry-after': '1' }).end('busy\n');
    uploads++;
    void sendChunk(fh, m, chunk, res).finally(() => uploads--);
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    hold: (i) => void held.add(i),
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await fh.close();
    },
  };
}

function chunkAsked(url: string, m: FanoutManifest): number | undefined {
  const match = /^\/fanout\/([^/]+)\/(\d+)$/.exec(url);
  if (!match || decodeURIComponent(match[1]) !== m.image) return undefined;
  const i = Number(match[2]);
  return i < m.sha256.length ? i : undefined;
}

async function sendChunk(fh: FileHandle, m: FanoutManifest, i: number, res: http.ServerResponse): Promise<void> {
  if (!res.socket || res.socket.destroyed) return; // the asker already gave up
  const len = Math.min(m.chunkBytes, m.rawBytes - i * m.chunkBytes);
  const buf = Buffer.allocUnsafe(len);
  try {
    const { bytesRead } = await fh.read(buf, 0, len, i * m.chunkBytes);
    if (bytesRead !== len) throw new Error(`read ${bytesRead} of ${len} bytes`);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': len });
    res.end(buf);
    await settled(res);
  } catch (err) {
    if (!res.headersSent) res.writeHead(500).end(`cannot read chunk ${i}: ${(err as Error).message}\n`);
    else res.destroy();
  }
}

/**
 * Resolves when the answer is sent or its asker is gone. Waiting for end()'s callback alone kept
 * an upload slot for good whenever the asker hung up first (its idle timer fired while this agent
 * had no CPU): after MAX_UPLOADS of those the agent answered 503 to everyone, and at 200 agents
 * 199 disks waited on three such peers until they left (docs/FANOUT.md).
 */
function settled(res: http.ServerResponse): Promise<void> {
  const sock = res.socket;
  if (res.writableFinished || !sock || sock.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('finish', done);
      res.off('close', done);
      sock.off('close', done);
      resolve();
    };
    res.once('finish', done);
    res.once('close', done);
    sock.once('close', done);
  });
}
