/**
 * image2disk throughput against the shell pipeline an operator would use, same image, same
 * target, same run, over loopback:
 *   reference:  curl -s URL | zstd -dc | dd of=TARGET bs=4M conv=fsync   (and oflag=direct)
 *   ours:       writeImage() with the zstd program, and with pure-JS fzstd (sha256 verified)
 * The image: an ext4 file system (mkfs.ext4 -d) holding random and text files, zstd -3.
 * Served by busybox httpd in its own process. Run: node --import tsx bench/image2disk.bench.ts [sizeMiB]
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fzstdDecode } from '../agent/actions/decode.ts';
import { nodeHttpGet } from '../agent/actions/http-get.ts';
import { writeImage } from '../agent/actions/image2disk.ts';

const sizeMiB = Number(process.argv[2] ?? 768);
const dir = mkdtempSync(join(tmpdir(), 'dfx-bench-'));
const port = 18000 + (process.pid % 1000);

function buildImage(): { raw: string; zst: string; checksum: string } {
  const src = join(dir, 'src');
  mkdirSync(join(src, 'usr/share/doc'), { recursive: true });
  mkdirSync(join(src, 'var/lib'), { recursive: true });
  const mib = 1024 * 1024;
  for (let i = 0; i < Math.floor(sizeMiB * 0.3); i += 16) writeFileSync(join(src, 'var/lib', `blob${i}`), randomBytes(16 * mib));
  const text = Buffer.from(Array.from({ length: 2000 }, (_, i) => `line ${i}: Package: libfoo${i % 97} Version: 1.${i % 13} Depends: libc6 (>= 2.36)\n`).join(''));
  for (let i = 0; i < Math.floor(sizeMiB * 0.25); i += 4) writeFileSync(join(src, 'usr/share/doc', `doc${i}`), Buffer.concat(Array(Math.ceil((4 * mib) / text.length)).fill(text)).subarray(0, 4 * mib));
  const raw = join(dir, 'disk.img');
  execFileSync('truncate', ['-s', `${sizeMiB}M`, raw]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-d', src, raw]);
  rmSync(src, { recursive: true });
  execFileSync('zstd', ['-q', '-3', '-T0', '-f', raw, '-o', `${raw}.zst`]);
  return { raw, zst: `${raw}.zst`, checksum: `sha256:${execFileSync('sha256sum', [raw]).toString().split(' ')[0]}` };
}

function freshTarget(): string {
  const t = join(dir, 'target.img');
  rmSync(t, { force: true });
  writeFileSync(t, '');
  return t;
}

function dropCaches(): void {
  spawnSync('sync');
}

async function timed(fn: () => Promise<void> | void): Promise<number> {
  dropCaches();
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main() {
  const img = buildImage();
  const rawBytes = statSync(img.raw).size;
  const zstBytes = statSync(img.zst).size;
  // the raw file is not served; free its page cache share
  const server = spawn('busybox', ['httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', dir], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  const url = `http://127.0.0.1:${port}/disk.img.zst`;
  // warm the server's page cache so every contender reads the compressed file from memory
  for await (const _ of createReadStream(img.zst)) void _;
  const results: Record<string, number[]> = {};
  const add = (k: string, s: number) => (results[k] ??= []).push(s);
  try {
    for (let round = 0; round < 2; round++) {
      for (const [name, flags] of [['curl | zstd -dc | dd conv=fsync', 'conv=fsync'], ['curl | zstd -dc | dd oflag=direct', 'oflag=direct']]) {
        const t = freshTarget();
        add(name, await timed(() => void execFileSync('sh', ['-c', `curl -s ${url} | zstd -dc | dd of=${t} bs=4M ${flags} status=none`])));
        verify(t, img.checksum);
      }
      for (const [name, decoder] of [['image2disk (zstd program)', undefined], ['image2disk (fzstd, pure JS)', fzstdDecode]] as const) {
        const t = freshTarget();
        add(name, await timed(async () => void (await writeImage({ url, checksum: img.checksum, target: t, httpGet: nodeHttpGet(), decoder }))));
      }
    }
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  report(rawBytes, zstBytes, results);
}

function verify(target: string, checksum: string): void {
  const h = createHash('sha256');
  h.update(execFileSync('cat', [target], { maxBuffer: 4 << 30 }));
  if (`sha256:${h.digest('hex')}` !== checksum) throw new Error('reference pipeline wrote a different image');
}

function report(rawBytes: number, zstBytes: number, results: Record<string, number[]>): void {
  const best = (k: string) => Math.min(...results[k]);
  const mbps = (s: number) => rawBytes / 1e6 / s;
  const ref = best('curl | zstd -dc | dd conv=fsync');
  console.log(`image: ${(rawBytes / 2 ** 20).toFixed(0)} MiB ext4, ${(zstBytes / 2 ** 20).toFixed(0)} MiB zstd -3; best of 2; target a regular file`);
  for (const k of Object.keys(results)) {
    console.log(`${k.padEnd(36)} ${best(k).toFixed(2)} s  ${mbps(best(k)).toFixed(0).padStart(5)} MB/s  ratio vs dd conv=fsync ${(ref / best(k)).toFixed(2)}x`);
  }
}

await main();
