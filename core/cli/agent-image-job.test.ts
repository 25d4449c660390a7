import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createControlPlane, type ControlPlane } from '../app/control-plane.ts';
import { AgentImageJob } from './agent-image-job.ts';
import { serve } from './serve.ts';

const root = mkdtempSync(join(tmpdir(), 'df-agent-image-job-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * A stand-in for build/agent/build-image.mjs that speaks its protocol (progress lines,
 * --out DIR, exit 2 for "cannot build on this host") in milliseconds. It waits for a
 * release file, so a test sees the "building" state for as long as it needs, however
 * slow the machine is.
 */
const FAKE_BUILDER = `
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const out = process.argv[process.argv.indexOf('--out') + 1];
const mode = process.env.FAKE_MODE;
if (mode === 'host') { console.error('build-image: cannot build the agent image on this host: zstd is missing on this host; install with: sudo apt-get install zstd'); process.exit(2); }
if (mode === 'fresh') { console.log('build-image: up to date (inputs unchanged)'); process.exit(0); }
console.log('build-image: apt-get download linux-image-6.1.0-99-amd64');
const release = process.env.FAKE_RELEASE;
while (release && !existsSync(release)) await new Promise((r) => setTimeout(r, 20));
if (mode === 'fail') { console.error('build-image: failed: dpkg-deb exploded'); process.exit(1); }
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'vmlinuz'), 'kernel');
writeFileSync(join(out, 'initramfs.img'), 'initramfs');
console.log('build-image: ' + out + ': vmlinuz 8.0 MB, initramfs.img 29.0 MB in 1.0 s');
`;
const builderFile = join(root, 'fake-builder.mjs');
writeFileSync(builderFile, FAKE_BUILDER);

let n = 0;
function fixture(mode: string) {
  const dir = join(root, `case-${++n}`);
  mkdirSync(dir);
  process.env.FAKE_MODE = mode;
  process.env.FAKE_RELEASE = join(dir, 'release');
  return { imageDir: join(dir, 'agent-image'), dataDir: join(dir, 'data'), release: () => writeFileSync(join(dir, 'release'), '') };
}

const lines: string[] = [];
const job = (imageDir: string) => new AgentImageJob({ dir: imageDir, command: [process.execPath, builderFile], out: (l) => lines.push(l) });

let cp: ControlPlane | undefined;
afterEach(async () => {
  await cp?.close();
  cp = undefined;
  lines.length = 0;
});

async function controlPlaneWith(j: AgentImageJob, f: ReturnType<typeof fixture>) {
  cp = await createControlPlane({ dataDir: f.dataDir, backend: 'memory', httpPort: 0, listen: '127.0.0.1', tftpPort: 0, dhcpMode: 'off', agentImageDir: f.imageDir, agentImage: () => j.state(), logLevel: 'error' });
  const token = cp.adminSession().token;
  const get = (url: string) => cp!.api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  return { get };
}

describe('the agent image on first start', () => {
  it('a machine booting during the first build is told to wait; once built it gets the kernel, and the status says so', async () => {
    const f = fixture('build');
    const j = job(f.imageDir);
    const { get } = await controlPlaneWith(j, f);
    const early = await get('/boot/agent/vmlinuz');
    expect(early.statusCode).toBe(503);
    expect(early.headers['retry-after']).toBe('60');
    expect(early.json().message).toMatch(/^agent image being built since \d\d:\d\d UTC \(the first build takes a few minutes\); machines that boot meanwhile are asked to retry$/);
    const during = (await get('/api/v1/readiness')).json();
    expect(during).toMatchObject({ canBoot: false, agentImage: { state: 'building' } });
    expect(during.blockers[0]).toMatch(/^agent image being built since/);

    f.release();
    expect(await j.finished()).toMatchObject({ state: 'present' });
    const late = await get('/boot/agent/vmlinuz');
    expect(late.statusCode).toBe(200);
    expect(late.body).toBe('kernel');
    expect((await get('/api/v1/readiness')).json().agentImage.detail).toMatch(/^present \(built in \d+ s\)$/);
    expect(lines[0]).toBe('agent image: apt-get download linux-image-6.1.0-99-amd64');
    expect(lines.at(-1)).toMatch(/^agent image: present \(built in \d+ s\); machines can boot now$/);
  });

  it('on a host that cannot build it: one line naming the missing tool and the fix, and machines get that line too', async () => {
    const f = fixture('host');
    const j = job(f.imageDir);
    const { get } = await controlPlaneWith(j, f);
    await j.finished();
    expect(lines.at(-1)).toBe('agent image: missing: cannot build the agent image on this host: zstd is missing on this host; install with: sudo apt-get install zstd');
    const res = await get('/boot/agent/initramfs.img');
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toMatch(/zstd is missing.*apt-get install zstd/);
  });

  it('a failed build says where to see all of it; an unchanged image is not rebuilt', async () => {
    const failed = fixture('fail');
    const j = job(failed.imageDir);
    failed.release();
    expect((await j.finished()).detail).toBe('missing: the build failed: failed: dpkg-deb exploded (run npm run build:agent-image to see it all)');

    const fresh = fixture('fresh');
    mkdirSync(fresh.imageDir);
    for (const file of ['vmlinuz', 'initramfs.img']) writeFileSync(join(fresh.imageDir, file), 'old');
    const k = job(fresh.imageDir);
    expect(k.state().state).toBe('present');
    expect(await k.finished()).toEqual({ state: 'present', detail: 'present (up to date)', seconds: undefined });
  });

  it('npm start (serve --build-agent-image) prints the URL first, then what machines need, while the image builds', async () => {
    const f = fixture('build');
    const out: string[] = [];
    const stop = await serve(
      { dataDir: f.dataDir, httpPort: '0', listen: '127.0.0.1', backend: 'memory', dhcpMode: 'off', tftpPort: '0', agentImageDir: f.imageDir, buildAgentImage: true, logLevel: 'error' },
      (l) => out.push(l),
      { agentImageBuilder: [process.execPath, builderFile] },
    );
    try {
      expect(out[0]).toMatch(/^Dragonfly API and UI at http:\/\/127\.0\.0\.1:\d+$/);
      expect(out.find((l) => l.startsWith('agent image: being built since'))).toMatch(/machines that boot meanwhile are asked to retry$/);
      expect(out).toContain('provisioning interface: none chosen: choose the interface facing the machines (first-run screen, Network settings, or --interface)');
      expect(out).toContain('DHCP: off: machines boot only if another DHCP server sends them here');
      expect(out.find((l) => l.startsWith('iPXE binaries:'))).toBe('iPXE binaries: present (undionly.kpxe, snponly.efi, ipxe-arm64.efi)');
      expect(out.at(-1)).toBe('machines can boot: not yet (2 things to fix above)');
    } finally {
      await stop();
    }
    expect(existsSync(join(f.imageDir, 'vmlinuz'))).toBe(false);
  });
});
