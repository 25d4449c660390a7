import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageCache } from '../images/cache.ts';
import { createHarness, sampleFacts, type Harness } from '../testing/api-harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'df-images-api-'));
const raw = Buffer.concat([randomBytes(64 * 1024), Buffer.alloc(256 * 1024)]);
const rawSha = createHash('sha256').update(raw).digest('hex');
let h: Harness;
let images: ImageCache;

beforeAll(async () => {
  images = new ImageCache({ dir: join(dir, 'images') });
  await images.load();
  h = await createHarness({ images, imageDir: join(dir, 'images') });
  writeFileSync(join(dir, 'tiny.raw'), raw);
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
    const imp = await h.app.inject({ method: 'POST', url: '/api/v1/images/import', headers: h.headers, payload: { name: 'tiny', path: join(dir, 'tiny.raw'), format: 'raw' } });
    expect(imp.statusCode).toBe(200);
    const list = (await h.app.inject({ url: '/api/v1/images', headers: h.headers })).json().items;
    expect(list[0]).toMatchObject({ url: 'cache:tiny', state: 'ready', rawBytes: raw.length, rawSha256: rawSha });

    await h.app.inject({ method: 'POST', url: '/api/v1/templates', headers: h.headers, payload: template('cache:tiny') });
    await h.app.inject({ method: 'POST', url: '/api/v1/templates', headers: h.headers, payload: template('http://mirror.invalid/disk.raw') });
    const mac = '52:54:00:1a:00:01';
    const reg = (await h.app.inject({ method: 'POST', url: '/api/agent/v1/register', headers: { authorization: `Bearer ${h.auth.issueEnrolmentToken(mac)}` }, payload: { mac, facts: sampleFacts([mac]) } })).json();
    const agent = { authorization: `Bearer ${reg.agentToken}` };

    const [a] = (await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'from-cache', machines: [reg.hardware] } })).json().results;
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
    const token = h.auth.issueAgentToken(mac);
    const res = await h.app.inject({ url: `/api/agent/v1/workflows/${a.workflow}`, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toMatch(/image http:\/\/mirror\.invalid\/disk\.raw is not in the image cache yet/);
  });
});
