import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../testing/api-harness.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'dragonfly.mjs');
const work = mkdtempSync(join(tmpdir(), 'df-upload-cli-'));
let h: Harness;
let base: string;

beforeAll(async () => {
  h = await createHarness();
  base = await h.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await h.close();
  rmSync(work, { recursive: true, force: true });
});

/** The real CLI in its own process (the server answers from this one, so no spawnSync). */
function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, '--url', base, '--token', h.token, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

// Each CLI run starts a Node process (seconds on a loaded machine): generous per-test limits.
const CLI_TEST_MS = 120_000;

describe('dragonfly images upload', () => {
  it('uploads a file with a progress line and prints the cache name and the digest sha256sum gives', async () => {
    const file = join(work, 'Lab Disk.raw.zst');
    const rawPath = join(work, 'lab.raw');
    writeFileSync(rawPath, Buffer.concat([randomBytes(3 << 20), Buffer.alloc(1 << 20)]));
    writeFileSync(file, execFileSync('zstd', ['-c', '-q', rawPath], { maxBuffer: 16 << 20 }));
    const want = execFileSync('sha256sum', [rawPath], { encoding: 'utf8' }).split(' ')[0];
    const r = await cli(['images', 'upload', file, '--name', 'lab']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/uploading Lab Disk\.raw\.zst: .* of .* \(100%\)/);
    expect(r.out).toContain(`is cache:lab: ${4 << 20} bytes raw, sha256 ${want}`);
    const listed = (await h.app.inject({ url: '/api/v1/images', headers: h.headers })).json().items;
    expect(listed.find((i: { key: string }) => i.key === 'lab')).toMatchObject({ state: 'ready', rawSha256: want });
  }, CLI_TEST_MS);

  it('says why the server refused, and exits 1', async () => {
    const file = join(work, 'disk.qcow2');
    writeFileSync(file, Buffer.alloc(4096));
    const r = await cli(['images', 'upload', file]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error: "disk\.qcow2" is not a \.raw, \.raw\.gz, \.raw\.xz or \.raw\.zst file/);
    const missing = await cli(['images', 'upload', join(work, 'nope.raw')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/cannot read .*nope\.raw/);
    const big = join(work, 'taken.raw');
    writeFileSync(big, Buffer.alloc(64 << 20));
    await cli(['images', 'upload', big]);
    const taken = await cli(['images', 'upload', big]);
    expect(taken.code).toBe(1);
    expect(taken.err).toMatch(/error: image cache:taken is already in the cache/);
  }, CLI_TEST_MS);
});
