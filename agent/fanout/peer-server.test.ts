import http from 'node:http';
import net from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FanoutManifest } from '../../core/contract/fanout.ts';
import { MAX_UPLOADS, startPeerServer, type PeerServer } from './peer-server.ts';

/** Big enough that an answer cannot sit whole in the sockets' buffers: an asker that leaves mid-chunk leaves it unsent. */
const CHUNK = 32 * 1024 * 1024;

let dir: string | undefined;
let server: PeerServer | undefined;
afterEach(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  server = dir = undefined;
});

/** GET a chunk, read its first bytes, then hang up (an asker whose idle timer fired, or that died). */
function getAndHangUp(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve(res.statusCode ?? 0);
      });
    });
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
  });
}

/** Sends a GET and hangs up at once, before any answer (an asker that gave up while the peer had no CPU to answer). */
function askAndLeave(port: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => {
      sock.end(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
      sock.destroy();
      resolve();
    });
    sock.on('error', reject);
  });
}

function getStatus(url: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let bytes = 0;
      res.on('data', (b: Buffer) => (bytes += b.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
    }).on('error', reject);
  });
}

describe('peer chunk server', () => {
  it('an asker that hangs up (mid-chunk, or before the answer) frees its upload slot: after more such askers than slots, the next one still gets the chunk', async () => {
    dir = await mkdtemp(join(tmpdir(), 'df-peer-'));
    const target = join(dir, 'disk');
    await writeFile(target, Buffer.alloc(CHUNK, 7));
    const m: FanoutManifest = { image: 'img.raw', chunkBytes: CHUNK, rawBytes: CHUNK, sha256: ['0'.repeat(64)] };
    server = await startPeerServer(target, m, '127.0.0.1');
    server.hold(0);
    const url = `http://127.0.0.1:${server.port}/fanout/img.raw/0`;
    for (let i = 0; i < MAX_UPLOADS + 2; i++) expect(await getAndHangUp(url)).toBe(200);
    for (let i = 0; i < MAX_UPLOADS + 2; i++) await askAndLeave(server.port, '/fanout/img.raw/0');
    // the server notices each hang-up when its socket closes; before, every one kept a slot for good (503 forever)
    let answer = await getStatus(url);
    for (let tries = 0; answer.status === 503 && tries < 100; tries++) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await getStatus(url);
    }
    expect(answer).toEqual({ status: 200, bytes: CHUNK });
  });
});
