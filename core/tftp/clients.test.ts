/**
 * Real TFTP clients against the server on loopback: tftp-hpa (no options), atftp
 * (blksize, windowsize, tsize) and curl (blksize). Each fetch must be byte-identical.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPeers } from '../testing/peers.ts';
import { createTftpServer, type TftpServer } from './server.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'dft-clients-'));
const root = join(dir, 'root');
const out = join(dir, 'out');
let server: TftpServer;
let port = 0;

const sizes: Record<string, number> = {
  'empty.bin': 0,
  '511.bin': 511,
  '512.bin': 512,
  '513.bin': 513,
  'x512.bin': 512 * 8,
  'x1428.bin': 1428 * 6,
  'x1468.bin': 1468 * 3,
  '3mb.bin': 3 * 1024 * 1024 + 77,
};

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
function pseudoRandom(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed || 1;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

beforeAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const d of [root, out]) await import('node:fs').then((fs) => fs.mkdirSync(d, { recursive: true }));
  Object.entries(sizes).forEach(([name, size], i) => writeFileSync(join(root, name), pseudoRandom(size, i + 1)));
  writeFileSync(join(dir, 'secret'), 'outside');
  server = await createTftpServer({ address: '127.0.0.1', port: 0, root, maxWindowsize: 16 });
  port = server.address.port;
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function expectSame(name: string, file: string): void {
  // curl writes no file for an empty download; an absent file is then the empty result.
  const got = existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
  expect(got.length).toBe(sizes[name]);
  expect(sha(got)).toBe(sha(readFileSync(join(root, name))));
}

const clients = {
  'tftp-hpa (no options)': (name: string, file: string) =>
    run('tftp', ['127.0.0.1', String(port), '-m', 'binary', '-c', 'get', name, file], { timeout: 20_000 }),
  'atftp (blksize 1428, windowsize 8, tsize)': (name: string, file: string) =>
    run(
      'atftp',
      ['--option', 'blksize 1428', '--option', 'windowsize 8', '--option', 'tsize 0', '-g', '-r', name, '-l', file, '127.0.0.1', String(port)],
      { timeout: 20_000 },
    ),
  'curl (blksize 1428)': (name: string, file: string) =>
    run('curl', ['-s', '-S', `tftp://127.0.0.1:${port}/${name}`, '--tftp-blksize', '1428', '-o', file], { timeout: 20_000 }),
};

describeWithPeers(['tftp', 'atftp', 'curl'], 'real clients fetch byte-identical files', () => {
  for (const [client, fetch] of Object.entries(clients)) {
    it(`${client}: ${Object.keys(sizes).join(', ')}`, async () => {
      for (const name of Object.keys(sizes)) {
        const file = join(out, `${client.split(' ')[0]}-${name}`);
        await fetch(name, file);
        expectSame(name, file);
      }
    });
  }

  it('the three clients at once, all files', async () => {
    const jobs = Object.entries(clients).flatMap(([client, fetch]) =>
      Object.keys(sizes).map(async (name) => {
        const file = join(out, `par-${client.split(' ')[0]}-${name}`);
        await fetch(name, file);
        expectSame(name, file);
      }),
    );
    await Promise.all(jobs);
  });

  it('tftp-hpa put is refused with ERROR 2 and writes nothing', async () => {
    const r = await run('tftp', ['127.0.0.1', String(port), '-m', 'binary', '-c', 'put', join(root, '511.bin'), 'new.bin'], { timeout: 20_000 });
    expect(r.stdout + r.stderr).toMatch(/Error code 2: access violation/);
    expect(existsSync(join(root, 'new.bin'))).toBe(false);
  });

  it('path traversal from each client is refused with an ERROR packet', async () => {
    const hpa = await run('tftp', ['127.0.0.1', String(port), '-m', 'binary', '-c', 'get', '../secret', join(out, 'hpa-secret')]);
    expect(hpa.stdout + hpa.stderr).toMatch(/Error code 2: access violation/);
    const at = await run('atftp', ['-g', '-r', '../secret', '-l', join(out, 'at-secret'), '127.0.0.1', String(port)]).catch((e) => e);
    expect(String(at.stderr)).toMatch(/access violation/);
    const cu = await run('curl', ['-s', '-S', `tftp://127.0.0.1:${port}/%2e%2e/secret`, '-o', join(out, 'cu-secret')]).catch((e) => e);
    expect(cu.code).toBe(69); // CURLE_TFTP_PERM: the server answered ERROR 2 (access violation)
    for (const f of ['hpa-secret', 'at-secret', 'cu-secret']) {
      const p = join(out, f);
      expect(existsSync(p) ? readFileSync(p, 'utf8') : '').not.toContain('outside');
    }
  });

  it('a 33 MB file in 512-byte blocks (block numbers wrap past 65535) with curl', async () => {
    const big = pseudoRandom(33 * 1024 * 1024, 99);
    writeFileSync(join(root, 'big.bin'), big);
    const file = join(out, 'big.bin');
    await run('curl', ['-s', '-S', `tftp://127.0.0.1:${port}/big.bin`, '--tftp-blksize', '512', '-o', file], { timeout: 60_000 });
    expect(sha(readFileSync(file))).toBe(sha(big));
  });
});
