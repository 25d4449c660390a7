/**
 * OS image serving: the real control plane (`dragonfly serve`, GET /images/<file>) vs nginx
 * serving the same file, side by side in one run, on loopback, with curl clients.
 *
 *   node --import tsx bench/image-serving.bench.ts [--clients 50] [--size-mb 1024] [--rounds 2] [--nginx-workers 1] [--json out.json]
 *
 * Each round starts `--clients` curl downloads of one `--size-mb` file at once and measures
 * the aggregate throughput (bytes received by all clients / wall time until the last one
 * ends). Servers alternate A B B A across rounds so page-cache warmth and other load on the
 * machine fall on both. nginx runs with `--nginx-workers` worker processes (default 1: the
 * control plane serves from one Node thread) and sendfile on. Server CPU time is read from
 * /proc. Every download is bounded by curl --max-time.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const CLIENTS = arg('clients', 50);
const SIZE_MB = arg('size-mb', 1024);
const ROUNDS = arg('rounds', 2);
const NGINX_WORKERS = arg('nginx-workers', 1);
const MAX_TIME_S = arg('max-time', 600);
const jsonOut = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : undefined;
const repo = join(import.meta.dirname, '..');

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A non-sparse file of pseudo-random bytes (one random block repeated), so reads are real page-cache reads. */
function makeImage(path: string, mb: number): void {
  const block = randomBytes(16 << 20);
  const fd = openSync(path, 'w');
  for (let done = 0; done < mb; done += 16) writeSync(fd, block, 0, Math.min(16, mb - done) << 20);
  closeSync(fd);
}

/** utime+stime of a process and its live children, ms (nginx workers are children of the master). */
function cpuMs(pid: number): number {
  const ticks = (p: number) => {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      return Number(f[11]) + Number(f[12]);
    } catch {
      return 0;
    }
  };
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // no children file
  }
  return ((ticks(pid) + children.reduce((s, c) => s + ticks(c), 0)) * 1000) / 100;
}

interface Server {
  name: string;
  url: string;
  proc: ChildProcess;
}

async function startDragonfly(dataDir: string): Promise<Server> {
  const proc = spawn(process.execPath, [join(repo, 'bin', 'dragonfly.mjs'), 'serve', '--data-dir', dataDir, '--listen', '127.0.0.1', '--http-port', '0', '--tftp-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`dragonfly serve did not report its address: ${out}`)), 60_000);
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /API and UI at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.stderr?.resume();
    proc.once('exit', (code) => reject(new Error(`dragonfly serve exited (${code}): ${out}`)));
  });
  proc.stdout?.resume();
  return { name: 'dragonfly', url, proc };
}

async function startNginx(root: string): Promise<Server> {
  const port = await freePort();
  const conf = join(root, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off; master_process on; worker_processes ${NGINX_WORKERS}; user root; pid ${root}/nginx.pid; error_log ${root}/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off; sendfile on; tcp_nopush on; default_type application/octet-stream;
  client_body_temp_path ${root}/ngx-body; proxy_temp_path ${root}/ngx-proxy; fastcgi_temp_path ${root}/ngx-fcgi; uwsgi_temp_path ${root}/ngx-uwsgi; scgi_temp_path ${root}/ngx-scgi;
  server { listen 127.0.0.1:${port}; root ${root}; location /images/ { } }
}
`,
  );
  const proc = spawn('nginx', ['-p', root, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error('nginx exited at start');
    if (await fetch(`${url}/images/`).then(() => true, () => false)) return { name: 'nginx', url, proc };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('nginx did not start');
}

interface RoundResult {
  server: string;
  seconds: number;
  bytes: number;
  mbPerSec: number;
  serverCpuMsPerGb: number;
  failed: number;
}

async function round(s: Server, file: string, expected: number): Promise<RoundResult> {
  const cpu0 = cpuMs(s.proc.pid as number);
  const t0 = process.hrtime.bigint();
  const results = await Promise.all(
    Array.from({ length: CLIENTS }, () =>
      run('curl', ['-s', '-o', '/dev/null', '--max-time', String(MAX_TIME_S), '-w', '%{size_download} %{http_code}', `${s.url}/images/${file}`]).then(
        (r) => r.stdout.trim().split(' ').map(Number),
        () => [0, 0],
      ),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuMs(s.proc.pid as number) - cpu0;
  const bytes = results.reduce((sum, [b]) => sum + b, 0);
  const failed = results.filter(([b, code]) => b !== expected || code !== 200).length;
  return { server: s.name, seconds, bytes, mbPerSec: bytes / 1e6 / seconds, serverCpuMsPerGb: cpu / (bytes / 1e9), failed };
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'df-imgbench-'));
  const servers: Server[] = [];
  try {
    mkdirSync(join(root, 'images'));
    const file = 'bench-disk.raw';
    makeImage(join(root, 'images', file), SIZE_MB);
    const expected = SIZE_MB << 20;
    const dragonfly = await startDragonfly(root);
    servers.push(dragonfly);
    const nginx = await startNginx(root);
    servers.push(nginx);
    console.log(`${CLIENTS} concurrent downloads of a ${SIZE_MB} MiB file, ${ROUNDS} rounds (A B B A), nginx ${NGINX_WORKERS} worker(s)`);
    console.log(`machine: ${cpus().length} CPUs, ${cpus()[0]?.model ?? 'unknown'}; load average before the run ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const results: RoundResult[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      for (const s of i % 2 === 0 ? [nginx, dragonfly] : [dragonfly, nginx]) {
        const r = await round(s, file, expected);
        results.push(r);
        console.log(`  ${r.server.padEnd(9)} ${r.mbPerSec.toFixed(0).padStart(6)} MB/s  ${r.seconds.toFixed(1)} s  server CPU ${r.serverCpuMsPerGb.toFixed(0)} ms/GB  incomplete ${r.failed}`);
      }
    }
    const total = (name: string) => {
      const rs = results.filter((r) => r.server === name);
      return rs.reduce((s, r) => s + r.bytes, 0) / 1e6 / rs.reduce((s, r) => s + r.seconds, 0);
    };
    const ratio = total('dragonfly') / total('nginx');
    console.log(`aggregate: dragonfly ${total('dragonfly').toFixed(0)} MB/s, nginx ${total('nginx').toFixed(0)} MB/s, ratio ${ratio.toFixed(2)}x (goal >= 0.9x)`);
    console.log(`load average after the run ${loadavg().map((l) => l.toFixed(2)).join(' ')} (the ${CLIENTS} clients count towards it)`);
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ clients: CLIENTS, sizeMb: SIZE_MB, nginxWorkers: NGINX_WORKERS, rounds: results, ratio, loadAfter: loadavg() }, null, 2));
  } finally {
    for (const s of servers) s.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
