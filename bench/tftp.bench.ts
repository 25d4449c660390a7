/**
 * TFTP throughput: Dragonfly's server vs tftpd-hpa (the reference), side by side in one run,
 * on loopback, with real atftp clients.
 *
 *   node --import tsx bench/tftp.bench.ts [--rounds 5] [--clients 20] [--json out.json]
 *
 * Scenarios:
 *  1. 20 concurrent atftp fetching ipxe.efi (Debian's ipxe package, ~850 KB) with
 *     blksize 1428 + windowsize 8 + tsize: aggregate MB/s. tftpd-hpa 5.2 has no RFC 7440,
 *     so it answers lock-step; the ratio shows what windowing buys.
 *  2. The same with blksize 1428 only (lock-step on both): the cost of the server itself.
 *  3. One 32 MiB file, atftp with blksize 1428 + windowsize 8.
 * Each figure is the median of the rounds; servers alternate within a round.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import dgram from 'node:dgram';
import { createTftpServer } from '../core/tftp/server.ts';

const run = promisify(execFile);

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const ROUNDS = arg('rounds', 5);
const CLIENTS = arg('clients', 20);
const jsonOut = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : undefined;

const IPXE = ['/usr/lib/ipxe/ipxe.efi', '/boot/ipxe.efi'].find((p) => existsSync(p));

async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function startTftpdHpa(root: string): Promise<{ port: number; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn('in.tftpd', ['-L', '-s', root, '-a', `127.0.0.1:${port}`], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  if (proc.exitCode !== null) throw new Error('in.tftpd did not start (is tftpd-hpa installed?)');
  return { port, proc };
}

function atftp(port: number, remote: string, local: string, options: string[]): Promise<unknown> {
  const opts = options.flatMap((o) => ['--option', o]);
  return run('atftp', [...opts, '-g', '-r', remote, '-l', local, '127.0.0.1', String(port)], { timeout: 120_000 });
}

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** Runs `clients` fetches at once; returns aggregate MB/s and checks every copy. */
async function concurrentFetch(port: number, remote: string, size: number, options: string[], outDir: string, tag: string, want: string) {
  const t0 = process.hrtime.bigint();
  const files = Array.from({ length: CLIENTS }, (_, i) => join(outDir, `${tag}-${i}`));
  await Promise.all(files.map((f) => atftp(port, remote, f, options)));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const f of files) if (sha(f) !== want) throw new Error(`${tag}: ${f} differs from the source`);
  return (size * CLIENTS) / seconds / 1e6;
}

async function single(port: number, remote: string, size: number, options: string[], out: string, want: string) {
  const t0 = process.hrtime.bigint();
  await atftp(port, remote, out, options);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (sha(out) !== want) throw new Error(`${out} differs from the source`);
  return size / seconds / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (!IPXE) throw new Error('no ipxe.efi: apt-get install ipxe');
  const dir = mkdtempSync(join(tmpdir(), 'dft-tftp-bench-'));
  const root = join(dir, 'root');
  const out = join(dir, 'out');
  mkdirSync(root);
  mkdirSync(out);
  copyFileSync(IPXE, join(root, 'ipxe.efi'));
  const big = Buffer.alloc(32 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
  writeFileSync(join(root, 'big.bin'), big);
  const ipxeSize = readFileSync(join(root, 'ipxe.efi')).length;
  const ipxeSha = sha(join(root, 'ipxe.efi'));
  const bigSha = sha(join(root, 'big.bin'));

  const ours = await createTftpServer({ address: '127.0.0.1', port: 0, root, maxBlksize: 1468, maxWindowsize: 16 });
  const hpa = await startTftpdHpa(root);
  const servers = { dragonfly: ours.address.port, 'tftpd-hpa': hpa.port };
  const windowed = ['blksize 1428', 'windowsize 8', 'tsize 0'];
  const lockstep = ['blksize 1428', 'tsize 0'];
  const results: Record<string, Record<string, number[]>> = { windowed: {}, lockstep: {}, big: {} };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? (['tftpd-hpa', 'dragonfly'] as const) : (['dragonfly', 'tftpd-hpa'] as const);
      for (const name of order) {
        const port = servers[name];
        (results.windowed[name] ??= []).push(await concurrentFetch(port, 'ipxe.efi', ipxeSize, windowed, out, `${name}-w`, ipxeSha));
        (results.lockstep[name] ??= []).push(await concurrentFetch(port, 'ipxe.efi', ipxeSize, lockstep, out, `${name}-l`, ipxeSha));
        (results.big[name] ??= []).push(await single(port, 'big.bin', big.length, windowed, join(out, `${name}-big`), bigSha));
      }
      process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
    }
  } finally {
    await ours.close();
    hpa.proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  report(results, ipxeSize);
}

function report(results: Record<string, Record<string, number[]>>, ipxeSize: number): void {
  const labels: Record<string, string> = {
    windowed: `${CLIENTS} x atftp ipxe.efi (${ipxeSize} B), blksize 1428 windowsize 8, aggregate MB/s`,
    lockstep: `${CLIENTS} x atftp ipxe.efi, blksize 1428 only (lock-step on both), aggregate MB/s`,
    big: '1 x atftp 32 MiB, blksize 1428 windowsize 8, MB/s',
  };
  const summary: Record<string, unknown> = { rounds: ROUNDS, clients: CLIENTS };
  for (const [key, byServer] of Object.entries(results)) {
    const d = median(byServer.dragonfly);
    const h = median(byServer['tftpd-hpa']);
    summary[key] = { dragonfly: +d.toFixed(1), tftpdHpa: +h.toFixed(1), ratio: +(d / h).toFixed(2) };
    console.log(`${labels[key]}\n  dragonfly ${d.toFixed(1)}  tftpd-hpa ${h.toFixed(1)}  ratio ${(d / h).toFixed(2)}x`);
  }
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(summary, null, 2));
}

await main();
