/**
 * image2disk throughput against the shell pipeline an operator would use, same image, same
 * target, same run, over loopback:
 *   reference:  curl -s URL | zstd -dc | dd of=TARGET bs=4M conv=fsync
 *   ours:       writeImage(), zstd program writing the target, sha256 read back and verified
 * Rounds alternate which one goes first; the figures are medians (the machine is shared).
 * Then the stages alone, so the ceiling is visible: HTTP receive (curl, node:http), decompression
 * (zstd to /dev/null, zstd read by Node, fzstd), sha256, and the write (dd from memory).
 * The image: an ext4 file system (mkfs.ext4 -d) holding random and text files, zstd -3.
 * Served by busybox httpd in its own process.
 * Run: node --import tsx bench/image2disk.bench.ts [sizeMiB] [rounds]
 * I2D_BEFORE=DIR adds a contender: writeImage from DIR/image2disk.ts (an older copy, to compare).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fzstdDecode } from '../agent/actions/decode.ts';
import { nodeHttpGet } from '../agent/actions/http-get.ts';
import { writeImage } from '../agent/actions/image2disk.ts';

const sizeMiB = Number(process.argv[2] ?? 512);
const rounds = Number(process.argv[3] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'dfx-bench-'));
const port = 18000 + (process.pid % 1000);
const REF = 'curl | zstd -dc | dd bs=4M conv=fsync';
type WriteImage = typeof writeImage;

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

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  spawnSync('sync');
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { maxBuffer: 1 << 20 });

function verify(target: string, checksum: string): void {
  if (`sha256:${createHash('sha256').update(readFileSync(target)).digest('hex')}` !== checksum) throw new Error(`${target} does not match ${checksum}`);
}

async function nodeHttpDrain(url: string): Promise<number> {
  return new Promise((done, fail) => {
    http.get(url, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => done(n));
      res.on('error', fail);
    });
  });
}

async function nodePipeDrain(file: string): Promise<number> {
  const child = spawn('zstd', ['-dc', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let n = 0;
  for await (const c of child.stdout) n += (c as Buffer).length;
  return n;
}

/** Whole-pipeline contenders, run in alternating order each round. */
function contenders(url: string, checksum: string, before?: WriteImage): [string, () => Promise<void>][] {
  const ours = (w: WriteImage) => async () => {
    const t = freshTarget();
    await w({ url, checksum, target: t, httpGet: nodeHttpGet() });
  };
  const list: [string, () => Promise<void>][] = [
    [REF, async () => void sh(`curl -s ${url} | zstd -dc | dd of=${freshTarget()} bs=4M conv=fsync status=none`)],
    ['image2disk (zstd program)', ours(writeImage)],
  ];
  if (before) list.push(['image2disk before (I2D_BEFORE)', ours(before)]);
  return list;
}

async function main() {
  const img = buildImage();
  const rawBytes = statSync(img.raw).size;
  const zstBytes = statSync(img.zst).size;
  const server = spawn('busybox', ['httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', dir], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  const url = `http://127.0.0.1:${port}/disk.img.zst`;
  const before = process.env.I2D_BEFORE ? ((await import(resolve(process.env.I2D_BEFORE, 'image2disk.ts'))) as { writeImage: WriteImage }).writeImage : undefined;
  const whole: Record<string, number[]> = {};
  const stages: Record<string, { s: number[]; bytes: number }> = {};
  const stage = async (name: string, bytes: number, fn: () => Promise<unknown> | unknown) => ((stages[name] ??= { s: [], bytes }).s.push(await timed(fn)));
  try {
    readFileSync(img.zst); // the server reads the compressed file from the page cache
    const list = contenders(url, img.checksum, before);
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? list : [...list].reverse();
      for (const [name, run] of order) {
        (whole[name] ??= []).push(await timed(run));
        verify(join(dir, 'target.img'), img.checksum);
      }
    }
    const raw = readFileSync(img.raw);
    for (let round = 0; round < rounds; round++) {
      await stage('HTTP receive: curl > /dev/null', zstBytes, () => sh(`curl -s ${url} > /dev/null`));
      await stage('HTTP receive: node:http', zstBytes, () => nodeHttpDrain(url));
      await stage('decompress: zstd -dc > /dev/null', rawBytes, () => sh(`zstd -dc ${img.zst} > /dev/null`));
      await stage('decompress: zstd -dc, read by Node', rawBytes, () => nodePipeDrain(img.zst));
      await stage('hash: sha256 (one thread)', rawBytes, () => createHash('sha256').update(raw).digest());
      await stage('write: dd bs=4M conv=fsync from memory', rawBytes, () => sh(`dd if=${img.raw} of=${freshTarget()} bs=4M conv=fsync status=none`));
    }
    await stage('decompress: fzstd (pure JS), once', rawBytes, async () => {
      for await (const _ of fzstdDecode((async function* () { yield readFileSync(img.zst); })())) void _;
    });
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  report(rawBytes, zstBytes, whole, stages);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function report(rawBytes: number, zstBytes: number, whole: Record<string, number[]>, stages: Record<string, { s: number[]; bytes: number }>): void {
  const mbps = (bytes: number, s: number) => (bytes / 1e6 / s).toFixed(0).padStart(5);
  console.log(`machine: ${cpus().length} CPUs, ${cpus()[0]?.model ?? 'unknown'}; load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`image: ${(rawBytes / 2 ** 20).toFixed(0)} MiB ext4, ${(zstBytes / 2 ** 20).toFixed(0)} MiB zstd -3; ${rounds} rounds, alternating order, medians; target a regular file`);
  for (const [k, s] of Object.entries(whole)) {
    const ratios = s.map((x, i) => whole[REF][i] / x);
    console.log(`${k.padEnd(40)} ${median(s).toFixed(2)} s ${mbps(rawBytes, median(s))} MB/s  ratio vs reference (median of per-round ratios) ${median(ratios).toFixed(2)}x  [${s.map((x) => x.toFixed(2)).join(' ')}]`);
  }
  console.log('stages alone (MB/s of the bytes that stage handles: compressed for HTTP, decompressed otherwise):');
  for (const [k, { s, bytes }] of Object.entries(stages)) console.log(`  ${k.padEnd(44)} ${median(s).toFixed(2)} s ${mbps(bytes, median(s))} MB/s`);
}

await main();
