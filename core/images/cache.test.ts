import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeWithPeers, peersPresent } from '../testing/peers.ts';
import type { Action } from '../model/template.ts';
import { isDragonflyError } from '../shared/errors.ts';
import { ImageCache, type ImageCacheOptions, type ImageStatus } from './cache.ts';
import { cacheKey, digestFromSums } from './image-spec.ts';
import { imageSpecsOf, rewriteForMachines } from './rewrite.ts';
import { craftQcow2, FIELD } from './testing/qcow2-images.ts';

const root = mkdtempSync(join(tmpdir(), 'df-cache-'));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

// A 2 MiB disk: random data, a hole, more data.
const raw = Buffer.alloc(2 * 1024 * 1024);
randomBytes(300_000).copy(raw, 0);
randomBytes(100_000).copy(raw, 1_500_000);
writeFileSync(join(root, 'disk.raw'), raw);
const NEEDS = ['qemu-img', 'tar', 'xz'] as const;
/** The disk as qemu-img writes it (made in beforeAll, when qemu-img is here). */
let qcow2 = Buffer.alloc(0);

/** A local stand-in for a distribution mirror: Range support, request log, and connections it drops on purpose. */
interface Mirror {
  files: Map<string, Buffer>;
  requests: Array<{ path: string; range?: string }>;
  /** Paths whose next response stops after this many bytes: the connection drops, or stalls (stays open, silent). */
  dropAfter: Map<string, number>;
  stall: boolean;
  base: string;
}
let server: Server;
const mirror: Mirror = { files: new Map(), requests: [], dropAfter: new Map(), stall: false, base: '' };

beforeAll(async () => {
  if (peersPresent(NEEDS)) {
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', '-c', join(root, 'disk.raw'), join(root, 'cloud.qcow2')]);
    qcow2 = readFileSync(join(root, 'cloud.qcow2'));
  }
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    mirror.requests.push({ path, range: req.headers.range });
    if (path === '/chunked.qcow2') return void res.writeHead(200).end(qcow2); // no content-length: the size shows only as it arrives
    if (path === '/huge.qcow2') return void res.writeHead(200, { 'content-length': String(2 ** 48) }).write(qcow2.subarray(0, 4096)); // announces 256 TiB, sends 4 KiB
    const body = mirror.files.get(path);
    if (!body) return void res.writeHead(404).end();
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    if (start >= body.length && m) return void res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
    const headers: Record<string, string> = { 'content-length': String(body.length - start), 'accept-ranges': 'bytes' };
    if (m) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(m ? 206 : 200, headers);
    const drop = mirror.dropAfter.get(path);
    if (drop !== undefined) {
      mirror.dropAfter.delete(path);
      res.write(body.subarray(start, start + drop), () => mirror.stall || setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  mirror.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(root, { recursive: true, force: true });
});

let dir: string;
let n = 0;
function newCache(d = dir, o: Partial<ImageCacheOptions> = {}): ImageCache {
  return new ImageCache({ dir: d, backoffMs: () => 10, progressIntervalMs: 0, idleTimeoutMs: 300, ...o });
}
beforeEach(() => {
  dir = join(root, `images-${n++}`);
  mkdirSync(dir);
  mirror.files.clear();
  mirror.requests.length = 0;
  mirror.dropAfter.clear();
  mirror.stall = false;
  mirror.files.set('/debian/cloud.qcow2', qcow2);
  mirror.files.set('/debian/SHA512SUMS', Buffer.from(`${sha512(Buffer.from('other'))}  other.qcow2\n${sha512(qcow2)}  cloud.qcow2\n`));
});

const spec = () => ({ url: `${mirror.base}/debian/cloud.qcow2`, fileChecksum: { url: `${mirror.base}/debian/SHA512SUMS`, algorithm: 'sha512' as const } });
const servedRaw = (c: ImageCache, file: string) => gunzipSync(readFileSync(join(dir, file)));
const imageGets = () => mirror.requests.filter((r) => r.path === '/debian/cloud.qcow2');

describeWithPeers(NEEDS, 'ImageCache.ensure', () => {
  it('downloads a qcow2 once, checks it against SHA512SUMS and serves the raw disk as gzip', async () => {
    const c = newCache();
    await c.load();
    const states: string[] = [];
    c.events.on('status', (s: ImageStatus) => states.push(s.state));
    const img = await c.ensure(spec());
    expect(img.rawSha256).toBe(sha256(raw));
    expect(img.rawBytes).toBe(raw.length);
    expect(img.file).toBe(`${cacheKey(spec())}.raw.gz`);
    expect(sha256(servedRaw(c, img.file))).toBe(sha256(raw));
    expect(img.fileBytes).toBeLessThan(raw.length / 4); // the hole costs (almost) nothing on the wire
    expect(states[0]).toBe('downloading');
    expect(states.slice(-2)).toEqual(['converting', 'ready']);
    expect(c.list()).toEqual([expect.objectContaining({ state: 'ready', rawSha256: sha256(raw), fileBytes: img.fileBytes })]);
    expect(readdirSync(join(dir, '.incoming'))).toEqual([]); // nothing half-done left behind
  });

  it('two ensures of the same image share one download', async () => {
    const c = newCache();
    const [a, b] = await Promise.all([c.ensure(spec()), c.ensure(spec())]);
    expect(a).toBe(b);
    expect(imageGets()).toHaveLength(1);
    await c.ensure(spec());
    expect(imageGets()).toHaveLength(1);
  });

  it('a connection dropped mid-transfer resumes with a Range request', async () => {
    mirror.dropAfter.set('/debian/cloud.qcow2', 100_000);
    const img = await newCache().ensure(spec());
    expect(img.rawSha256).toBe(sha256(raw));
    expect(imageGets().map((r) => r.range)).toEqual([undefined, 'bytes=100000-']);
  });

  it('a mirror that goes silent mid-transfer is left after the idle timeout and the download resumes', async () => {
    mirror.dropAfter.set('/debian/cloud.qcow2', 50_000);
    mirror.stall = true;
    const img = await newCache().ensure(spec());
    expect(img.rawSha256).toBe(sha256(raw));
    expect(imageGets().map((r) => r.range)).toEqual([undefined, 'bytes=50000-']);
  });

  it('a .part left by a crash resumes where it stopped', async () => {
    mkdirSync(join(dir, '.incoming'));
    writeFileSync(join(dir, '.incoming', `${cacheKey(spec())}.download.part`), qcow2.subarray(0, 4096));
    const c = newCache();
    await c.load();
    expect((await c.ensure(spec())).rawSha256).toBe(sha256(raw));
    expect(imageGets().map((r) => r.range)).toEqual(['bytes=4096-']);
  });

  it('a file that does not match the published sum fails, says why, and is not served', async () => {
    mirror.files.set('/debian/cloud.qcow2', Buffer.concat([qcow2, Buffer.from('tampered')]));
    const c = newCache();
    await expect(c.ensure(spec())).rejects.toThrow(/sha512 is [0-9a-f]+, but [0-9a-f]+ was published/);
    expect(c.status(spec())).toMatchObject({ state: 'failed', error: expect.stringMatching(/corrupt or the image was replaced upstream/) });
    expect(readdirSync(dir).filter((f) => f.endsWith('.gz'))).toEqual([]);
    mirror.files.set('/debian/cloud.qcow2', qcow2); // fixed upstream: the next ensure downloads afresh
    expect((await c.ensure(spec())).rawSha256).toBe(sha256(raw));
  });

  it('a raw checksum that does not match the disk fails', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    await expect(newCache().ensure({ url: `${mirror.base}/debian/cloud.qcow2`, checksum: wrong })).rejects.toThrow(/raw disk's sha256 is .* but the template says 0+/);
  });

  it('refuses an image with no checksum of any kind', async () => {
    await expect(newCache().ensure({ url: `${mirror.base}/debian/cloud.qcow2` })).rejects.toThrow(/give checksum .* or fileChecksum/);
    expect(imageGets()).toHaveLength(0);
  });

  it('a 404 fails without retrying forever', async () => {
    await expect(newCache().ensure({ url: `${mirror.base}/nope.qcow2`, checksum: `sha256:${sha256(raw)}` })).rejects.toThrow(/answered 404/);
  });

  it('a restarted control plane finds ready images without the network', async () => {
    await newCache().ensure(spec());
    mirror.files.clear();
    const again = newCache();
    await again.load();
    expect(again.readyFor(spec())?.rawSha256).toBe(sha256(raw));
    expect(again.list()[0].state).toBe('ready');
  });
});

describeWithPeers(NEEDS, 'ImageCache.importFile and rewriteForMachines', () => {
  const actions = (url: string, checksum?: string): Action[] => [
    { name: 'image', type: 'image2disk', disk: { path: '/dev/sda' }, image: { url, checksum: checksum ?? `sha256:${'a'.repeat(64)}`, format: 'qcow2' } },
    { name: 'reboot', type: 'reboot' },
  ];

  it('an operator-provided tar.xz becomes cache:NAME, and machines are sent to the cache', async () => {
    const src = join(root, 'tarsrc');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'disk.raw'), raw);
    execFileSync('tar', ['--format=gnu', '-S', '-cJf', join(root, 'debian.tar.xz'), '-C', src, 'disk.raw']);
    const c = newCache();
    const img = await c.importFile(join(root, 'debian.tar.xz'), { name: 'debian-12-local' });
    expect(img).toMatchObject({ key: 'debian-12-local', url: 'cache:debian-12-local', rawSha256: sha256(raw) });
    const [first, second] = rewriteForMachines(actions('cache:debian-12-local', `sha256:${sha256(raw)}`), (f) => `http://10.0.0.1:8080/images/${f}`, c);
    expect(first).toMatchObject({ image: { url: 'http://10.0.0.1:8080/images/debian-12-local.raw.gz', format: 'gz', checksum: `sha256:${sha256(raw)}` } });
    expect(second).toEqual({ name: 'reboot', type: 'reboot' });
  });

  it('a workflow whose image is not cached yet is refused, naming the image', async () => {
    const c = newCache();
    let err: unknown;
    try {
      rewriteForMachines(actions(`${mirror.base}/debian/cloud.qcow2`), (f) => `http://10.0.0.1/images/${f}`, c);
    } catch (e) {
      err = e;
    }
    expect(isDragonflyError(err, 'DF_ERR_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/cloud.qcow2 is not in the image cache yet \(absent\)/);
    await expect(c.ensure({ url: 'cache:never-imported' })).rejects.toThrow(/import the file first/);
  });

  it('imageSpecsOf lists each image a template needs once', () => {
    const a = actions('cache:x');
    expect(imageSpecsOf([...a, { ...a[0], name: 'again' }])).toHaveLength(1);
  });
});

describeWithPeers(NEEDS, 'hostile and oversized images fail early, say why, and leave nothing behind', () => {
  const TiB = 1024 ** 4;
  /** The image directory holds nothing of the failed image: no served file, no record, nothing in .incoming. */
  const leftovers = () => [...readdirSync(dir).filter((f) => f !== '.incoming'), ...readdirSync(join(dir, '.incoming'))];
  const file = (name: string, b: Buffer) => {
    const p = join(root, name);
    writeFileSync(p, b);
    return p;
  };

  it('a qcow2 header claiming 2^60 bytes: refused before conversion, failed status names the size and the limit', async () => {
    const bad = craftQcow2({ size: 1 << 20, data: [[0, randomBytes(100)]] }).file;
    bad.writeBigUInt64BE(1n << 60n, FIELD.size);
    const c = newCache();
    await c.load();
    await expect(c.importFile(file('claims-1eib.qcow2', bad), { name: 'hostile', format: 'qcow2' })).rejects.toThrow(/virtual size 1152921504606846976 bytes \(1 EiB\) is larger than the limit of 2199023255552 bytes \(2 TiB\)/);
    expect(c.list()).toEqual([expect.objectContaining({ key: 'hostile', state: 'failed', error: expect.stringMatching(/^image cache:hostile could not be converted: qcow2 virtual size .* larger than the limit/) })]);
    expect(leftovers()).toEqual([]);
  });

  it('the cap is configurable: maxImageBytes below the disk size refuses an image that converts by default', async () => {
    const c = newCache(dir, { maxImageBytes: 1 << 20 });
    await expect(c.importFile(join(root, 'cloud.qcow2'), { name: 'small-cap' })).rejects.toThrow(/virtual size 2097152 bytes \(2 MiB\) is larger than the limit of 1048576 bytes \(1 MiB\)/);
    expect(c.list()[0]).toMatchObject({ state: 'failed' });
    expect((await newCache().importFile(join(root, 'cloud.qcow2'), { name: 'default-cap' })).rawSha256).toBe(sha256(raw));
  });

  it('a disk larger than the free space: the error names both numbers, and nothing is written', async () => {
    // 256 TiB of allocated data in a 6 MiB file: every L1 entry shares one L2 table, every L2 entry one data cluster.
    const big = craftQcow2({ size: 256 * TiB, clusterBits: 20, aliasAll: true }).file;
    const c = newCache(dir, { maxImageBytes: 1024 * TiB });
    await c.load();
    const err = await c.importFile(file('aliased-256tib.qcow2', big), { name: 'too-big', format: 'qcow2' }).catch((e: unknown) => e);
    expect(isDragonflyError(err, 'DF_ERR_UNAVAILABLE')).toBe(true);
    const m = /not enough free space for converting image cache:too-big: it needs up to (\d+) bytes \(.*\) in (.*), but only (\d+) bytes \(.*\) are free there/.exec((err as Error).message);
    expect(m, (err as Error).message).not.toBeNull();
    const [need, where, free] = [Number(m?.[1]), m?.[2], Number(m?.[3])];
    expect(need).toBeGreaterThanOrEqual(256 * TiB);
    expect(free).toBeLessThan(need);
    expect(where).toBe(join(dir, '.incoming'));
    expect(c.list()[0]).toMatchObject({ state: 'failed', error: expect.stringMatching(/not enough free space/) });
    expect(leftovers()).toEqual([]);
  });

  it('a stream that grows past the cap mid-conversion: the half-written output is removed', async () => {
    const gz = file('big.raw.gz', gzipSync(raw));
    const c = newCache(dir, { maxImageBytes: 1 << 20 });
    await c.load();
    await expect(c.importFile(gz, { name: 'grows', format: 'gz' })).rejects.toThrow(/raw disk grows past the limit of 1048576 bytes \(1 MiB\)/);
    expect(c.list()[0]).toMatchObject({ state: 'failed', error: expect.stringMatching(/grows past the limit/) });
    expect(leftovers()).toEqual([]);
  });

  it('a stream of unknown size stops when the free space falls below the reserve', async () => {
    const c = newCache(dir, { reserveBytes: 2 ** 50 });
    await c.load();
    await expect(c.importFile(file('r.raw.gz', gzipSync(raw)), { name: 'reserve', format: 'gz' })).rejects.toThrow(
      /converting image cache:reserve stopped: only \d+ bytes .* are free in .*, less than the 1125899906842624 bytes \(1 PiB\) kept free/,
    );
    expect(leftovers()).toEqual([]);
  });

  it('a downloaded qcow2 that cannot be converted is not kept for the next try', async () => {
    const bad = Buffer.from(qcow2);
    bad.writeBigUInt64BE(1n << 60n, 24);
    mirror.files.set('/bad.qcow2', bad);
    const c = newCache();
    await c.load();
    await expect(c.ensure({ url: `${mirror.base}/bad.qcow2`, fileChecksum: `sha256:${sha256(bad)}` })).rejects.toThrow(/larger than the limit/);
    expect(c.list()[0]).toMatchObject({ state: 'failed', error: expect.stringMatching(/virtual size .* larger than the limit/) });
    expect(leftovers()).toEqual([]);
  });

  it('a download announcing more than the cap is refused before a byte is written, and not retried', async () => {
    const c = newCache(dir, { maxImageBytes: 100_000 });
    await c.load();
    await expect(c.ensure(spec())).rejects.toThrow(/cloud.qcow2 announces \d+ bytes .* larger than the limit of 100000 bytes/);
    expect(imageGets()).toHaveLength(1);
    expect(c.status(spec())).toMatchObject({ state: 'failed', error: expect.stringMatching(/larger than the limit/) });
    expect(leftovers()).toEqual([]);
  });

  it('a download without a length that passes the cap is cut off and its .part removed', async () => {
    const c = newCache(dir, { maxImageBytes: 100_000 });
    await c.load();
    await expect(c.ensure({ url: `${mirror.base}/chunked.qcow2`, checksum: `sha256:${sha256(raw)}` })).rejects.toThrow(/chunked.qcow2 sent more than the limit of 100000 bytes/);
    expect(mirror.requests.filter((r) => r.path === '/chunked.qcow2')).toHaveLength(1);
    expect(leftovers()).toEqual([]);
  });

  it('a download announcing more than the free space is refused, naming both numbers, and not retried', async () => {
    const c = newCache(dir, { maxImageBytes: 1024 * TiB });
    await c.load();
    const url = `${mirror.base}/huge.qcow2`;
    await expect(c.ensure({ url, checksum: `sha256:${sha256(raw)}` })).rejects.toThrow(
      /not enough free space for downloading image .*huge.qcow2: it needs up to 281474976710656 bytes \(256 TiB\) in .*, but only \d+ bytes .* are free there/,
    );
    expect(mirror.requests.filter((r) => r.path === '/huge.qcow2')).toHaveLength(1);
    expect(c.list()[0]).toMatchObject({ state: 'failed' });
    expect(leftovers()).toEqual([]); // refused before the .part was opened
  });
});

describe('published checksum lists', () => {
  it('reads GNU and BSD lines and picks the right file', () => {
    const h = 'ab'.repeat(32);
    expect(digestFromSums(`${'cd'.repeat(32)}  other.img\n${h} *noble-server-cloudimg-amd64.img\n`, 'noble-server-cloudimg-amd64.img', 'sha256')).toBe(h);
    expect(digestFromSums(`SHA256 (x.qcow2) = ${h}\n`, 'x.qcow2', 'sha256')).toBe(h);
    expect(digestFromSums(`${h}  x.qcow2\n`, 'y.qcow2', 'sha256')).toBeUndefined();
    expect(existsSync(root)).toBe(true);
  });
});
