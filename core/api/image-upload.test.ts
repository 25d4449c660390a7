import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageUploadProgress } from '../contract/images.ts';
import { ImageCache } from '../images/cache.ts';
import { createHarness, type Harness } from '../testing/api-harness.ts';

const work = mkdtempSync(join(tmpdir(), 'df-upload-'));
const imagesDir = join(work, 'images');
let h: Harness;
let base: string;

beforeAll(async () => {
  // 1 PiB limit: big enough that a huge declared size runs into free space first, small enough to test the limit.
  const images = new ImageCache({ dir: imagesDir, maxImageBytes: 2 ** 50, fetch: async () => Promise.reject(new Error('no network in tests')) });
  await images.load();
  h = await createHarness({ images });
  base = await h.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await h.close();
  rmSync(work, { recursive: true, force: true });
});

/** A disk of `mib` MiB: random data, then zeros (like a real one). */
function diskFile(name: string, mib: number): { path: string; bytes: Buffer } {
  const bytes = Buffer.concat([randomBytes((mib << 20) / 2), Buffer.alloc((mib << 20) / 2)]);
  const path = join(work, name);
  writeFileSync(path, bytes);
  return { path, bytes };
}

/** The digest a technician would compare with: sha256sum, the program. */
const sha256sum = (path: string) => execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0];

interface Answer {
  status: number;
  connection?: string;
  body: { code?: string; message?: string; name?: string; rawSha256?: string; rawBytes?: number };
}

/** POSTs `body` over a real socket; `declared` overrides Content-Length, `send` how many bytes go before the request ends. */
function upload(query: string, body: Buffer, headers: Record<string, string> = h.headers, o: { declared?: number; send?: number } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/api/v1/images/upload?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(o.declared ?? body.length), ...headers },
    });
    req.on('response', (res) => readJson(res).then(resolve, reject));
    req.on('error', reject);
    req.write(body.subarray(0, o.send ?? body.length));
    if (o.send === undefined) req.end();
  });
}

async function readJson(res: IncomingMessage): Promise<Answer> {
  let text = '';
  for await (const c of res) text += c;
  return { status: res.statusCode ?? 0, connection: res.headers.connection, body: text ? JSON.parse(text) : {} };
}

/** Upload progress from the event stream, as a browser or the CLI would watch it. */
function watchUploads(): { events: ImageUploadProgress[]; until: (pred: (p: ImageUploadProgress) => boolean) => Promise<void>; stop: () => void } {
  const events: ImageUploadProgress[] = [];
  const waiters: Array<() => void> = [];
  const req = request(`${base}/api/v1/events`, { headers: h.headers }, (res) => {
    let buf = '';
    res.on('data', (chunk) => {
      buf += chunk;
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const msg = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = /^data: (.*)$/m.exec(msg)?.[1];
        if (/^event: image-upload$/m.test(msg) && data) events.push(JSON.parse(data));
        waiters.forEach((w) => w());
      }
    });
  });
  req.on('error', () => {});
  req.end();
  const until = (pred: (p: ImageUploadProgress) => boolean) =>
    new Promise<void>((resolve, reject) => {
      const check = () => events.some(pred) && resolve();
      waiters.push(check);
      check();
      setTimeout(() => reject(new Error(`no such upload event; saw ${JSON.stringify(events)}`)), 20_000).unref();
    });
  return { events, until, stop: () => req.destroy() };
}

const listed = async () => (await h.app.inject({ url: '/api/v1/images', headers: h.headers })).json().items as Array<{ key: string; state: string; rawSha256?: string }>;
const incoming = () => readdirSync(join(imagesDir, '.incoming'));
const topFiles = () => readdirSync(imagesDir).filter((f) => !f.startsWith('.'));

describe('uploading an image file through the API', () => {
  it('a raw file becomes cache:NAME with the digest sha256sum gives, served as gzip, with progress on the event stream', async () => {
    const watch = watchUploads();
    await new Promise((r) => setTimeout(r, 100)); // the stream is connected before the upload starts
    const disk = diskFile('Rack Disk.raw', 3);
    const res = await upload('file=Rack%20Disk.raw', disk.bytes);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ name: 'rack-disk', rawBytes: disk.bytes.length, rawSha256: sha256sum(disk.path) });
    expect((await listed()).find((i) => i.key === 'rack-disk')).toMatchObject({ state: 'ready', rawSha256: sha256sum(disk.path) });
    const served = await h.app.inject({ url: '/images/rack-disk.raw.gz' });
    expect(gunzipSync(served.rawPayload).equals(disk.bytes)).toBe(true);

    await watch.until((p) => p.state === 'ready' && p.name === 'rack-disk');
    watch.stop();
    const mine = watch.events.filter((p) => p.file === 'Rack Disk.raw');
    expect(mine[0]).toMatchObject({ state: 'receiving', bytesTotal: disk.bytes.length });
    expect(mine[0].bytesReceived).toBeGreaterThan(0);
    expect(mine.at(-1)).toMatchObject({ state: 'ready', bytesReceived: disk.bytes.length, rawSha256: res.body.rawSha256 });
    expect(incoming()).toEqual([]);
  });

  it('gz, xz and zst files are decompressed as they arrive; the digest is that of the raw disk inside', async () => {
    const disk = diskFile('inner.raw', 2);
    const want = sha256sum(disk.path);
    const packed: Array<[string, Buffer]> = [
      ['inner.raw.gz', gzipSync(disk.bytes)],
      ['inner.raw.xz', execFileSync('xz', ['-c', '-1', disk.path], { maxBuffer: 16 << 20 })],
      ['inner.raw.zst', execFileSync('zstd', ['-c', '-q', disk.path], { maxBuffer: 16 << 20 })],
    ];
    for (const [file, bytes] of packed) {
      const name = file.replaceAll('.', '-');
      const res = await upload(`file=${file}&name=${name}`, bytes);
      expect(res.status, `${file}: ${JSON.stringify(res.body)}`).toBe(201);
      expect(res.body, file).toMatchObject({ name, rawBytes: disk.bytes.length, rawSha256: want });
    }
  });

  it('refuses names that are not a plain image file name, naming the problem, and stores nothing', async () => {
    const before = topFiles();
    const cases: Array<[string, RegExp]> = [
      ['../escape.raw', /not a plain file name/],
      ['sub/dir.raw', /not a plain file name/],
      ['..\\win.raw', /not a plain file name/],
      ['.hidden.raw', /not a plain file name/],
      ['bell\u0007.raw', /not a plain file name/],
      ['disk.qcow2', /not a \.raw, \.raw\.gz, \.raw\.xz or \.raw\.zst file/],
      ['.raw', /not a plain file name/],
    ];
    for (const [file, why] of cases) {
      const res = await upload(`file=${encodeURIComponent(file)}`, Buffer.alloc(4096));
      expect(res.status, file).toBe(400);
      expect(res.body.message, file).toMatch(why);
    }
    const badName = await upload('file=ok.raw&name=..%2Fx', Buffer.alloc(4096));
    expect(badName.status).toBe(400);
    expect(topFiles()).toEqual(before);
    expect(incoming()).toEqual([]);
  });

  it('refuses, before reading the body, a declared size past the limit or past free space', async () => {
    const tooBig = await upload('file=huge.raw', Buffer.alloc(1024), h.headers, { declared: 2 ** 51, send: 1024 });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.message).toMatch(/more than the upload limit of 1125899906842624 bytes/);
    const noSpace = await upload('file=huge.raw', Buffer.alloc(1024), h.headers, { declared: 2 ** 49, send: 1024 });
    expect(noSpace.status).toBe(503);
    expect(noSpace.body.message).toMatch(/not enough free space for uploading huge\.raw/);
    // the connection ends with the answer, so the sender is not made to send the rest first
    expect([tooBig.connection, noSpace.connection]).toEqual(['close', 'close']);
    expect((await listed()).some((i) => i.key === 'huge')).toBe(false);
  });

  it('an upload cut off mid-body leaves nothing behind, and the server goes on', async () => {
    const watch = watchUploads();
    await new Promise((r) => setTimeout(r, 100));
    const disk = diskFile('cut.raw', 8);
    const req = request(`${base}/api/v1/images/upload?file=cut.raw`, {
      method: 'POST',
      headers: { ...h.headers, 'content-type': 'application/octet-stream', 'content-length': String(disk.bytes.length) },
    });
    req.on('error', () => {}); // the socket is cut on purpose
    req.write(disk.bytes.subarray(0, 3 << 20));
    await watch.until((p) => p.file === 'cut.raw' && p.state === 'receiving');
    req.destroy();
    await watch.until((p) => p.file === 'cut.raw' && p.state === 'failed');
    watch.stop();
    expect(watch.events.find((p) => p.file === 'cut.raw' && p.state === 'failed')?.error).toMatch(/cut off after .* of 8388608 bytes/);
    expect(incoming()).toEqual([]);
    expect(topFiles().filter((f) => f.startsWith('cut'))).toEqual([]);
    expect((await listed()).find((i) => i.key === 'cut')?.state).not.toBe('ready');
    const again = await upload('file=cut.raw', disk.bytes);
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.rawSha256).toBe(sha256sum(disk.path));
  });

  it('a name already in the cache is refused, not replaced', async () => {
    const first = await upload('file=twice.raw', randomBytes(8192));
    expect(first.status).toBe(201);
    const second = await upload('file=twice.raw', randomBytes(8192));
    expect(second.status).toBe(409);
    expect(second.body.message).toMatch(/cache:twice is already in the cache/);
    expect((await listed()).find((i) => i.key === 'twice')?.rawSha256).toBe(first.body.rawSha256);
  });

  it('wants the file as application/octet-stream with a declared length', async () => {
    const json = await upload('file=j.raw', Buffer.from('{}'), { ...h.headers, 'content-type': 'application/json' });
    expect(json.status).toBe(400);
    expect(json.body.message).toMatch(/Content-Type: application\/octet-stream/);
    const chunked = await new Promise<Answer>((resolve, reject) => {
      const req = request(`${base}/api/v1/images/upload?file=c.raw`, { method: 'POST', headers: { ...h.headers, 'content-type': 'application/octet-stream' } });
      req.on('response', (res) => readJson(res).then(resolve, reject));
      req.on('error', reject);
      req.write(Buffer.alloc(4096)); // no Content-Length: Node sends it chunked
      req.end();
    });
    expect(chunked.status).toBe(400);
    expect(chunked.body.message).toMatch(/must declare its size with Content-Length/);
  });
});

describe('who may upload', () => {
  let cookie = '';
  beforeAll(async () => {
    const login = await h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: h.password } });
    cookie = String(login.headers['set-cookie']).split(';')[0];
  });
  const here = () => new URL(base).host;

  it('nobody without credentials', async () => {
    const res = await upload('file=anon.raw', Buffer.alloc(4096), {});
    expect(res.status).toBe(401);
  });

  it('not a page of another site riding on the session cookie; a page of this server may', async () => {
    const evil = await upload('file=csrf.raw', Buffer.alloc(4096), { cookie, origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    const noOrigin = await upload('file=csrf.raw', Buffer.alloc(4096), { cookie });
    expect(noOrigin.status).toBe(403);
    expect((await listed()).some((i) => i.key === 'csrf')).toBe(false);
    const ours = await upload('file=csrf.raw', Buffer.alloc(4096), { cookie, origin: `http://${here()}` });
    expect(ours.status, JSON.stringify(ours.body)).toBe(201);
  });

});

describe('the boot surface (what machines on the provisioning network reach)', () => {
  it('has no upload route, even for a valid operator token', async () => {
    const boot = await createHarness({ surfaceOf: () => 'boot' });
    try {
      const res = await boot.app.inject({ method: 'POST', url: '/api/v1/images/upload?file=boot.raw', headers: { ...boot.headers, 'content-type': 'application/octet-stream' }, payload: Buffer.alloc(4096) });
      expect(res.statusCode).toBe(404);
      expect((await boot.app.inject({ url: '/healthz' })).statusCode).toBe(200); // the listener itself answers
    } finally {
      await boot.close();
    }
  });
});
