import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageCache } from '../images/cache.ts';
import { openImportFile } from '../images/import-folder.ts';
import { createHarness, offlineImageCache, sampleFacts, type Harness } from '../testing/api-harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'df-images-api-'));
const raw = Buffer.concat([randomBytes(64 * 1024), Buffer.alloc(256 * 1024)]);
const rawSha = createHash('sha256').update(raw).digest('hex');
let h: Harness;
let images: ImageCache;

beforeAll(async () => {
  images = offlineImageCache(join(dir, 'images'));
  await images.load();
  h = await createHarness({ images });
  mkdirSync(join(h.dataDir, 'import'), { recursive: true });
  writeFileSync(join(h.dataDir, 'import', 'tiny.raw'), raw);
});
afterAll(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

const template = (url: string) => ({
  apiVersion: 'dragonfly.computer/v1',
  kind: 'Template',
  metadata: { name: url.startsWith('cache:') ? 'from-cache' : 'from-internet' },
  spec: { actions: [{ name: 'image', type: 'image2disk', disk: { path: '/dev/vda' }, image: { url, ...(url.startsWith('cache:') ? {} : { checksum: `sha256:${'0'.repeat(64)}` }) } }, { name: 'reboot', type: 'reboot' }] },
});

describe('machines read OS images only from the control plane cache', () => {
  it('an imported image is listed, served with its raw length, and the agent is sent to it with the raw digest', async () => {
    const imp = await h.app.inject({ method: 'POST', url: '/api/v1/images/import', headers: h.headers, payload: { name: 'tiny', path: 'tiny.raw', format: 'raw' } });
    expect(imp.statusCode).toBe(200);
    const list = (await h.app.inject({ url: '/api/v1/images', headers: h.headers })).json().items;
    expect(list[0]).toMatchObject({ url: 'cache:tiny', state: 'ready', rawBytes: raw.length, rawSha256: rawSha });

    await h.app.inject({ method: 'POST', url: '/api/v1/templates', headers: h.headers, payload: template('cache:tiny') });
    await h.app.inject({ method: 'POST', url: '/api/v1/templates', headers: h.headers, payload: template('http://mirror.invalid/disk.raw') });
    const mac = '52:54:00:1a:00:01';
    const reg = (await h.app.inject({ method: 'POST', url: '/api/agent/v1/register', headers: { authorization: `Bearer ${h.auth.issueEnrolmentToken(mac)}` }, payload: { mac, facts: sampleFacts([mac]) } })).json();
    const agent = { authorization: `Bearer ${reg.agentToken}` };

    const [a] = (await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'from-cache', machines: [reg.hardware] } })).json().results;
    // as the agent does: the heartbeat after the assignment hands out the run's token
    const hb = await h.app.inject({ method: 'POST', url: '/api/agent/v1/heartbeat', headers: agent, payload: { mac } });
    agent.authorization = `Bearer ${hb.json().agentToken}`;
    const wf = (await h.app.inject({ url: `/api/agent/v1/workflows/${a.workflow}`, headers: agent })).json();
    const image = wf.actions[0].image;
    expect(image.url).toMatch(/^http:\/\/10\.0\.0\.1:8080\/images\/.+\.raw\.gz$/);
    expect(image).toMatchObject({ format: 'gz', checksum: `sha256:${rawSha}` });

    const file = image.url.split('/images/')[1];
    const served = await h.app.inject({ url: `/images/${file}` });
    expect(served.headers['x-uncompressed-length']).toBe(String(raw.length));
    expect(createHash('sha256').update(gunzipSync(served.rawPayload)).digest('hex')).toBe(rawSha);
    const part = await h.app.inject({ url: `/images/${file}`, headers: { range: 'bytes=0-9' } });
    expect(part.statusCode).toBe(206);
    expect(part.rawPayload.length).toBe(10);
  });

  it('an image that is not cached is a 503 naming it, never a URL on the internet', async () => {
    const wfs = (await h.app.inject({ url: '/api/v1/hardware', headers: h.headers })).json().items;
    const name = wfs[0].metadata.name;
    await h.app.inject({ method: 'POST', url: `/api/v1/hardware/${name}/resolve`, headers: h.headers, payload: { as: 'cancel' } });
    const [a] = (await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'from-internet', machines: [name] } })).json().results;
    const mac = '52:54:00:1a:00:01';
    const token = h.auth.issueAgentToken(mac, `${a.workflow}#1`); // the run's own token
    const res = await h.app.inject({ url: `/api/agent/v1/workflows/${a.workflow}`, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toMatch(/image http:\/\/mirror\.invalid\/disk\.raw is not in the image cache yet/);
  });
});

// Issue 14, attack 3: the server's own files out through the image cache. Each is tried as an
// attacker with an operator token (or none, for /images) would, and must leak nothing.
describe('the image cache holds and serves only what the operator meant', () => {
  const importAs = (name: string, path: string) =>
    h.app.inject({ method: 'POST', url: '/api/v1/images/import', headers: h.headers, payload: { name, path, format: 'raw' } });
  const cachedUrls = async () => (await h.app.inject({ url: '/api/v1/images', headers: h.headers })).json().items.filter((i: { state: string }) => i.state === 'ready').map((i: { url: string }) => i.url);

  it('import of /etc/shadow, of DATA_DIR/auth.json, by ../ or through a symlink, is refused naming the import folder', async () => {
    symlinkSync(join(h.dataDir, 'auth.json'), join(h.dataDir, 'import', 'innocent.raw'));
    const attempts = [
      ['shadow', '/etc/shadow'],
      ['passwd', '/etc/passwd'],
      ['auth', join(h.dataDir, 'auth.json')],
      ['dotdot', '../auth.json'],
      ['link', 'innocent.raw'],
      ['linkabs', join(h.dataDir, 'import', 'innocent.raw')],
    ];
    for (const [name, path] of attempts) {
      const res = await importAs(name, path);
      expect(res.statusCode, path).toBe(403);
      expect(res.json().message).toContain(`not inside the import folder ${join(h.dataDir, 'import')}`);
    }
    expect(await cachedUrls()).toEqual(['cache:tiny']);
    const missing = await importAs('missing', 'nope.raw');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toMatch(/no file "nope.raw" in the import folder/);
  });

  it('a link inside the folder, a FIFO and a name swapped after the check: refused by name, or harmless (the checked file is read)', async () => {
    const folder = join(h.dataDir, 'import');
    symlinkSync(join(folder, 'tiny.raw'), join(folder, 'alias.raw')); // stays inside, still a link
    const link = await importAs('alias', 'alias.raw');
    expect(link.statusCode).toBe(403);
    expect(link.json().message).toBe(`"alias.raw" in the import folder ${folder} is a symbolic link: copy the image file there (not a link to it)`);
    execFileSync('mkfifo', [join(folder, 'pipe.raw')]); // nobody writes: a blocking open would hang the request forever
    const fifo = await importAs('pipe', 'pipe.raw');
    expect(fifo.statusCode).toBe(400);
    expect(fifo.json().message).toBe(`"pipe.raw" in the import folder ${folder} is a FIFO (named pipe), not a regular file: copy the image file there`);

    // The name is swapped for a link to auth.json once the file is open and checked: the import
    // reads the checked file through its descriptor, never the name again.
    writeFileSync(join(folder, 'swap.raw'), raw);
    const { handle } = await openImportFile(folder, 'swap.raw');
    symlinkSync(join(h.dataDir, 'auth.json'), join(folder, 'swap.link'));
    renameSync(join(folder, 'swap.link'), join(folder, 'swap.raw'));
    const img = await images.importFile(handle, { name: 'swap', format: 'raw' }).finally(() => handle.close());
    expect(img.rawSha256).toBe(rawSha);
    const served = gunzipSync(readFileSync(join(images.dir, img.file)));
    expect(served.equals(raw)).toBe(true);
    expect(served.includes(readFileSync(join(h.dataDir, 'auth.json')))).toBe(false);
    const again = await importAs('swap-again', 'swap.raw'); // and the link itself is refused
    expect(again.statusCode).toBe(403);
    expect(await cachedUrls()).not.toContain('cache:alias');
  });

  it('/images/* never follows a link, never serves .incoming/*.part or a record, and decodes the path once', async () => {
    const imagesDir = join(dir, 'images');
    symlinkSync(join(h.dataDir, 'auth.json'), join(imagesDir, 'leak.raw.gz'));
    writeFileSync(join(imagesDir, '.incoming', 'x.download.part'), 'half a download');
    const secret = JSON.parse(readFileSync(join(h.dataDir, 'auth.json'), 'utf8')).secretKey as string;
    for (const url of ['/images/leak.raw.gz', '/images/.incoming/x.download.part', '/images/%2eincoming/x.download.part', '/images/tiny.json', '/images/%25', '/images/%252e%252e/auth.json', '/images/..%2fauth.json']) {
      const res = await h.app.inject({ url });
      expect([403, 404], url).toContain(res.statusCode);
      expect(res.body).not.toContain(secret);
      expect(res.body).not.toContain('half a download');
    }
    writeFileSync(join(imagesDir, 'by-hand.raw'), 'put here by the operator'); // how the lab publishes its disk image
    expect((await h.app.inject({ url: '/images/by-hand.raw' })).body).toBe('put here by the operator');
  });
});
