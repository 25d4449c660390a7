import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeWithPeers, peersPresent } from '../../core/testing/peers.ts';
import { fzstdDecode, imageFormat, viaProgram, xzWasmDecode, type Decoder } from './decode.ts';
import { nodeHttpGet } from './http-get.ts';
import { writeImage, type Progress, type WriteImageOptions } from './image2disk.ts';

const dir = mkdtempSync(join(tmpdir(), 'dfx-img-'));

/** 9 MiB, more than two 4 MiB write chunks: random blocks (incompressible) between text and zeros, like a filesystem. */
const image = Buffer.concat([
  randomBytes(3 * 1024 * 1024),
  Buffer.alloc(2 * 1024 * 1024),
  Buffer.from('root:x:0:0:root:/root:/bin/sh\n'.repeat(70_000)),
  randomBytes(2 * 1024 * 1024),
  Buffer.alloc(123_457, 7), // an odd tail: the last write is not a whole chunk
]);
const sha256 = `sha256:${createHash('sha256').update(image).digest('hex')}`;
const sha512 = `sha512:${createHash('sha512').update(image).digest('hex')}`;
const compress = (cmd: string, args: string[]) => execFileSync(cmd, args, { input: image, maxBuffer: 1 << 30 });
const files: Record<string, Buffer> = {};

interface Plan {
  /** Close the connection after this many body bytes, for the first `times` requests. */
  dropAfter?: number;
  times?: number;
  ignoreRange?: boolean;
  chunked?: boolean;
  status?: number;
  headers?: Record<string, string>;
  /** Serve these bytes instead from the n-th request on (1-based). */
  replaceFrom?: { request: number; bytes: Buffer };
}

let plan: Plan = {};
let requests: { url: string; range?: string; ifRange?: string }[] = [];
let server: http.Server;
let base = '';

const NEEDS = ['zstd', 'xz'] as const;

beforeAll(async () => {
  files['disk.img'] = image;
  files['disk.img.gz'] = gzipSync(image);
  if (peersPresent(NEEDS)) {
    files['disk.img.zst'] = compress('zstd', ['-q', '-3', '-c']);
    files['disk.img.xz'] = compress('xz', ['-c', '-1']);
    files['disk.img.zst.cut'] = files['disk.img.zst'].subarray(0, files['disk.img.zst'].length - 1000);
  }
  server = http.createServer((req, res) => serve(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  plan = {};
  requests = [];
});

function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
  requests.push({ url: req.url!, range: req.headers.range, ifRange: req.headers['if-range'] as string | undefined });
  const n = requests.length;
  let body = files[req.url!.slice(1).replace(/\?.*/, '')];
  if (plan.replaceFrom && n >= plan.replaceFrom.request) body = plan.replaceFrom.bytes;
  if (!body || plan.status) {
    res.writeHead(plan.status ?? 404).end('nope');
    return;
  }
  const headers: Record<string, string | number> = { etag: '"v1"', ...plan.headers };
  let status = 200;
  let start = 0;
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (m && !plan.ignoreRange) {
    start = Number(m[1]);
    status = 206;
    headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
  }
  const part = body.subarray(start);
  if (!plan.chunked) headers['content-length'] = part.length;
  res.writeHead(status, headers);
  const drop = plan.dropAfter !== undefined && n <= (plan.times ?? 1);
  if (!drop) return void res.end(part);
  res.write(part.subarray(0, plan.dropAfter), () => setTimeout(() => res.socket?.destroy(), 20));
}

function target(name: string): string {
  const p = join(dir, name);
  writeFileSync(p, '');
  return p;
}

async function run(file: string, extra: Partial<WriteImageOptions> = {}) {
  const progress: Progress[] = [];
  const sleeps: number[] = [];
  const t = target(`${file}-${Math.random()}.out`);
  const result = await writeImage({
    url: `${base}/${file}`,
    checksum: sha256,
    target: t,
    httpGet: nodeHttpGet(5000),
    onProgress: (p) => progress.push(p),
    progressIntervalMs: 0,
    sleep: async (ms) => void sleeps.push(ms),
    ...extra,
  });
  return { result, written: readFileSync(t), progress, sleeps, target: t };
}

const decoders: [string, Decoder][] = [
  ['fzstd (pure JS)', fzstdDecode],
  ['the zstd program', (input) => viaProgram(input, 'zstd', ['-dc'])],
];

describeWithPeers(NEEDS, 'writeImage', () => {
  it('writes a raw image byte for byte, with progress against Content-Length', async () => {
    const { result, written, progress } = await run('disk.img', { checksum: sha512 });
    expect(written.equals(image)).toBe(true);
    expect(result).toMatchObject({ bytes: image.length, retries: 0 });
    expect(progress.at(-1)).toEqual({ bytesDone: image.length, bytesTotal: image.length });
    expect(progress.every((p, i) => i === 0 || p.bytesDone >= progress[i - 1].bytesDone)).toBe(true);
  });

  const formats: [string, string, Decoder | undefined][] = [
    ['gz', 'disk.img.gz', undefined],
    ['xz via xz-decompress (WebAssembly)', 'disk.img.xz', xzWasmDecode],
    ['xz via xzcat', 'disk.img.xz', (i) => viaProgram(i, 'xzcat', [])],
    ...decoders.map(([name, d]): [string, string, Decoder] => [`zst via ${name}`, 'disk.img.zst', d]),
  ];
  it.each(formats)('decompresses %s and verifies the checksum of the decompressed bytes', async (_name, file, decoder) => {
    const { written, progress } = await run(file, decoder ? { decoder } : {});
    expect(written.equals(image)).toBe(true);
    // the compressed size says nothing about the disk size: no total unless the server tells
    expect(progress.at(-1)).toEqual({ bytesDone: image.length });
  });

  it('lets the zstd program write the target itself by default, hashing what it wrote', async () => {
    const { written, progress, result } = await run('disk.img.zst');
    expect(written.equals(image)).toBe(true);
    expect(result.bytes).toBe(image.length);
    expect(progress.at(-1)).toEqual({ bytesDone: image.length });
  });

  it('restarts the zstd program from offset 0 after a drop (default decoder)', async () => {
    plan = { dropAfter: Math.floor(files['disk.img.zst'].length / 2) };
    const { written, result, progress } = await run('disk.img.zst');
    expect(written.equals(image)).toBe(true);
    expect(result.retries).toBe(1);
    expect(progress.every((p, i) => i === 0 || p.bytesDone >= progress[i - 1].bytesDone)).toBe(true);
  });

  it('fails a truncated zstd image without retrying (default decoder)', async () => {
    const err = await run('disk.img.zst.cut', { format: 'zst' }).catch((e: Error) => e.message);
    expect(err).toMatch(/cannot decode the zst image: .*zstd -dc .*failed \(exit \d+\).* \(\d+ bytes written to /);
    expect(requests.length).toBe(1);
  });

  it('reports a checksum mismatch when the zstd program wrote the target', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    const err = await run('disk.img.zst', { checksum: wrong }).catch((e: Error) => e.message);
    expect(err).toContain(`expected ${wrong}, got ${sha256}`);
  });

  it('takes the decompressed size from X-Uncompressed-Length', async () => {
    plan = { headers: { 'x-uncompressed-length': String(image.length) } };
    const { progress } = await run('disk.img.gz');
    expect(progress.at(-1)).toEqual({ bytesDone: image.length, bytesTotal: image.length });
  });

  it('resumes a raw image after a dropped connection with a Range request from the last byte taken', async () => {
    plan = { dropAfter: 3_000_000, times: 2 };
    const { written, result, sleeps } = await run('disk.img');
    expect(written.equals(image)).toBe(true);
    expect(result.retries).toBe(2);
    expect(requests[0].range).toBeUndefined();
    const resumedAt = Number(/bytes=(\d+)-/.exec(requests[1].range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(requests[1].ifRange).toBe('"v1"');
    expect(requests.length).toBe(3);
    expect(sleeps).toEqual([1000, 1000]); // each attempt made progress, so the backoff starts over
  });

  it('still writes a correct disk when the server ignores Range and sends the whole image again', async () => {
    plan = { dropAfter: 4_500_000, ignoreRange: true };
    const { written } = await run('disk.img');
    expect(written.equals(image)).toBe(true);
    expect(requests.length).toBe(2);
  });

  it.each(decoders)('restarts a zstd stream from the start after a drop and skips what was written (%s)', async (_n, decoder) => {
    plan = { dropAfter: Math.floor(files['disk.img.zst'].length / 2) };
    const { written, result } = await run('disk.img.zst', { decoder });
    expect(written.equals(image)).toBe(true);
    expect(result.retries).toBe(1);
    expect(requests.map((r) => r.range)).toEqual([undefined, undefined]);
  });

  it('gives up after the retry budget, saying how many bytes were written', async () => {
    plan = { dropAfter: 0, times: 100 };
    const err = await run('disk.img', { maxRetries: 3 }).catch((e: Error) => e.message);
    expect(err).toMatch(/^download of http:\S+\/disk\.img failed 4 times in a row, last: connection lost: .*\(0 bytes written to .*\.out\)$/);
    expect(requests.length).toBe(4);
  });

  it('keeps going while each attempt makes progress, even past the budget', async () => {
    plan = { dropAfter: 1_000_000, times: 6 };
    const { written, result } = await run('disk.img', { maxRetries: 2 });
    expect(written.equals(image)).toBe(true);
    expect(result.retries).toBe(6);
  });

  it('reports a checksum mismatch with both digests', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    const err = await run('disk.img', { checksum: wrong }).catch((e: Error) => e.message);
    expect(err).toContain(`expected ${wrong}, got ${sha256}`);
    expect(err).toContain(`${image.length} bytes written`);
  });

  it('fails a truncated compressed image without retrying, with the bytes written', async () => {
    const err = await run('disk.img.zst.cut', { format: 'zst', decoder: fzstdDecode }).catch((e: Error) => e.message);
    expect(err).toMatch(/cannot decode the zst image: .*truncated.* \(\d+ bytes written to /);
    expect(requests.length).toBe(1);
  });

  it('refuses to splice an image that changed between attempts', async () => {
    const other = Buffer.from(image);
    other[10] ^= 0xff;
    plan = { dropAfter: 400_000, chunked: true, replaceFrom: { request: 2, bytes: gzipSync(other) } };
    const err = await run('disk.img.gz').catch((e: Error) => e.message);
    expect(err).toMatch(/changed while it was being written/);
  });

  it('does not retry a 404, and retries a 503', async () => {
    const missing = await run('nothing.img').catch((e: Error) => e.message);
    expect(missing).toMatch(/^HTTP 404 from .*nothing\.img \(0 bytes written/);
    expect(requests.length).toBe(1);
    requests = [];
    plan = { status: 503 };
    const busy = await run('disk.img', { maxRetries: 1 }).catch((e: Error) => e.message);
    expect(busy).toMatch(/failed 2 times in a row, last: HTTP 503/);
  });

  it('says why it cannot connect', async () => {
    const err = await run('x', { url: 'http://127.0.0.1:1/disk.img', maxRetries: 0 }).catch((e: Error) => e.message);
    expect(err).toMatch(/cannot fetch http:\/\/127\.0\.0\.1:1\/disk\.img: .*ECONNREFUSED/);
  });
});

describe('imageFormat', () => {
  it('goes by the declared format, else the URL suffix, and refuses what it cannot write', () => {
    expect(imageFormat('http://h/debian.raw.zst?x=1')).toBe('zst');
    expect(imageFormat('http://h/a.img.gz')).toBe('gz');
    expect(imageFormat('http://h/a.img.xz')).toBe('xz');
    expect(imageFormat('http://h/a.img')).toBe('raw');
    expect(imageFormat('http://h/a.img', 'zst')).toBe('zst');
    expect(imageFormat('http://h/a.qcow2')).toEqual({ error: expect.stringMatching(/qcow2 images are not supported; convert/) });
    expect(imageFormat('http://h/a', 'tar.xz')).toEqual({ error: expect.stringMatching(/tar\.xz .* not supported/) });
  });
});
