import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jailPath, sendFile } from './file-serving.ts';

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

describe('file serving over a real socket', () => {
  let dir: string;
  let app: FastifyInstance;
  let port: number;
  const bytes = Buffer.alloc(173_792, 7); // the size of a real snponly.efi
  for (let i = 0; i < bytes.length; i += 97) bytes[i] = i & 0xff;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'df-files-'));
    await writeFile(join(dir, 'ipxe.efi'), bytes);
    await writeFile(join(dir, 'empty'), Buffer.alloc(0));
    app = Fastify();
    app.get<{ Params: { file: string } }>('/f/:file', (req, reply) => sendFile(req, reply, jailPath(dir, req.params.file)));
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

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
