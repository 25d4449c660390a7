import { mkdirSync, readdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, get, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jailPath, sendFile, sendFileUnder } from './file-serving.ts';

/** Raw HTTP over a real socket: what a firmware's HTTP client sees, headers and all. */
function raw(port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

// One server for the whole file, over a real socket: a small file the size of snponly.efi, an
// empty one, and an 8 MiB one that spans many read chunks. Warnings it logs are kept.
let dir: string;
let app: FastifyInstance;
let port: number;
const warnings: string[] = [];
const bytes = Buffer.alloc(173_792, 7); // the size of a real snponly.efi
for (let i = 0; i < bytes.length; i += 97) bytes[i] = i & 0xff;
const data = Buffer.alloc(8 << 20);
for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-files-'));
  await writeFile(join(dir, 'ipxe.efi'), bytes);
  await writeFile(join(dir, 'empty'), Buffer.alloc(0));
  await writeFile(join(dir, 'big'), data);
  app = Fastify({ logger: { level: 'warn', stream: { write: (l: string) => void warnings.push(String(JSON.parse(l).msg)) } } });
  app.get<{ Params: { file: string } }>('/f/:file', (req, reply) => sendFile(req, reply, jailPath(dir, req.params.file)));
  app.get<{ Params: { '*': string } }>('/u/*', (req, reply) => sendFileUnder(req, reply, dir, req.params['*']));
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

describe('file serving over a real socket', () => {
  it('HEAD announces the same length as GET (UEFI HTTP boot sizes its buffer from it)', async () => {
    const head = await raw(port, 'HEAD', '/f/ipxe.efi');
    const get = await raw(port, 'GET', '/f/ipxe.efi');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(bytes.length));
    expect(head.body.length).toBe(0);
    expect(get.headers['content-length']).toBe(String(bytes.length));
    expect(get.body.equals(bytes)).toBe(true);
    expect(head.headers.etag).toBe(get.headers.etag);
  });

  it('a range is 206 with Content-Range, HEAD of a range too; an impossible range is 416', async () => {
    const part = await raw(port, 'GET', '/f/ipxe.efi', { range: 'bytes=1000-1999' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 1000-1999/${bytes.length}`);
    expect(part.body.equals(bytes.subarray(1000, 2000))).toBe(true);
    const headPart = await raw(port, 'HEAD', '/f/ipxe.efi', { range: 'bytes=-10' });
    expect(headPart.status).toBe(206);
    expect(headPart.headers['content-length']).toBe('10');
    const bad = await raw(port, 'GET', '/f/ipxe.efi', { range: `bytes=${bytes.length}-` });
    expect(bad.status).toBe(416);
    expect(bad.headers['content-range']).toBe(`bytes */${bytes.length}`);
  });

  it('an empty file is 200 with Content-Length 0; a missing one is not 200', async () => {
    const empty = await raw(port, 'GET', '/f/empty');
    expect(empty.status).toBe(200);
    expect(empty.headers['content-length']).toBe('0');
    const missing = await raw(port, 'HEAD', '/f/nope.efi');
    expect(missing.status).not.toBe(200);
  });
});

describe('file serving under real clients: chunk edges, keep-alive, aborts, a shrinking file', () => {
  const openFds = () => readdirSync('/proc/self/fd').length;

  it('ranges across the read-chunk edges come back byte for byte', async () => {
    for (const [a, b] of [[0, 0], [524_287, 524_288], [700_000, 1_700_000], [1_048_575, 8_388_607], [5, 1_048_575]]) {
      const r = await raw(port, 'GET', '/f/big', { range: `bytes=${a}-${b}` });
      expect(r.status, `range ${a}-${b}`).toBe(206);
      expect(r.body.equals(data.subarray(a, b + 1)), `range ${a}-${b}`).toBe(true);
    }
  });

  it('three requests on one kept-alive connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    agent.on('free', (s) => sockets.add(s));
    const one = (headers: Record<string, string> = {}) =>
      new Promise<Buffer>((resolve, reject) => {
        get({ host: '127.0.0.1', port, path: '/f/big', headers, agent }, (res) => {
          const c: Buffer[] = [];
          res.on('data', (x: Buffer) => c.push(x));
          res.on('end', () => resolve(Buffer.concat(c)));
        }).on('error', reject);
      });
    const [a, b, c] = [await one(), await one({ range: 'bytes=10-20' }), await one()];
    agent.destroy();
    expect(a.equals(data) && c.equals(data)).toBe(true);
    expect(b.equals(data.subarray(10, 21))).toBe(true);
    expect(sockets.size).toBe(1);
  });

  it('30 machines dropping mid-download leave no open files behind, and serving goes on', async () => {
    const before = openFds();
    await Promise.all(
      Array.from({ length: 30 }, () =>
        new Promise<void>((done) => {
          const req = get({ host: '127.0.0.1', port, path: '/f/big' }, (res) => {
            let n = 0;
            res.on('data', (c: Buffer) => {
              n += c.length;
              if (n > 100_000) req.destroy();
            });
            res.on('error', () => {});
            res.on('close', () => done());
          });
          req.on('error', () => done());
        }),
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(openFds()).toBeLessThanOrEqual(before + 1);
    expect((await raw(port, 'GET', '/f/big')).body.equals(data)).toBe(true);
  });

  it('a file that shrinks under a download cuts that connection short with one warning; the server keeps serving', async () => {
    // 64 MiB: far more than loopback socket buffers hold, so the server is still reading when
    // the file shrinks, however slow this machine is.
    const shrinking = Buffer.alloc(64 << 20, 0x5a);
    await writeFile(join(dir, 'shrink'), shrinking);
    warnings.length = 0;
    const got = await new Promise<{ n: number; cut: boolean }>((resolve) => {
      const req = get({ host: '127.0.0.1', port, path: '/f/shrink' }, (res) => {
        let n = 0;
        res.pause();
        setTimeout(() => {
          truncateSync(join(dir, 'shrink'), 1 << 20);
          res.resume();
        }, 200);
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => resolve({ n, cut: false }));
        res.on('aborted', () => resolve({ n, cut: true }));
        res.on('error', () => resolve({ n, cut: true }));
      });
      req.on('error', () => resolve({ n: -1, cut: true }));
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(got.cut).toBe(true);
    expect(got.n).toBeLessThan(shrinking.length);
    expect(warnings).toHaveLength(1);
    expect((await raw(port, 'GET', '/f/big')).body.equals(data)).toBe(true);
  });

  it('served from a root: a symbolic link (to a file or a folder), a hidden name, or a double-encoded path is never answered with its bytes', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'df-outside-'));
    writeFileSync(join(outside, 'secret'), 'the secret');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'ok.bin'), 'fine');
    mkdirSync(join(dir, 'sub', 'sub'));
    writeFileSync(join(dir, 'sub', 'sub', 'sub'), 'same names');
    writeFileSync(join(dir, '.hidden'), 'the secret');
    symlinkSync(join(outside, 'secret'), join(dir, 'link.bin'));
    symlinkSync(outside, join(dir, 'linkdir'));
    try {
      expect((await raw(port, 'GET', '/u/sub/ok.bin')).body.toString()).toBe('fine');
      expect((await raw(port, 'GET', '/u/sub/sub/sub')).body.toString()).toBe('same names');
      for (const path of ['/u/link.bin', '/u/linkdir/secret', '/u/.hidden', '/u/%2ehidden', '/u/%25', '/u/%252e%252e/x', '/u/sub/..%2f..%2fetc%2fpasswd', '/u/sub']) {
        const res = await raw(port, 'GET', path);
        expect([403, 404], path).toContain(res.status);
        expect(res.body.toString()).not.toContain('the secret');
      }
      expect((await raw(port, 'GET', '/u/link.bin')).status).toBe(403);
      expect((await raw(port, 'GET', '/f/%25')).status).toBe(404); // decoded once by the router: the file "%" does not exist
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
