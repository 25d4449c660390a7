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
 * With --delay-ms N each server sits behind its own relay process that holds every datagram
 * N ms each way (no netem on this kernel): loopback's ~30 us round trip hides what windowing
 * is for, a real network's and a firmware client's round trips do not. The 32 MiB scenario
 * is skipped then (lock-step at a few ms per block would take minutes).
 * Each figure is the median of the rounds; servers alternate within a round. Both servers
 * run as child processes, so their CPU time is read from /proc (tftpd-hpa forks one child
 * per transfer: those are sampled too) and reported as CPU ms per MB served,
 * a figure that other load on the machine disturbs much less than wall-clock throughput.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
/** One-way delay added by a UDP relay in front of each server, ms; 0: clients talk to the servers directly. */
const DELAY_MS = arg('delay-ms', 0);
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

async function waitStarted(proc: ChildProcess, what: string): Promise<void> {
  await new Promise((r) => setTimeout(r, 800));
  if (proc.exitCode !== null) throw new Error(`${what} did not start`);
}

async function startTftpdHpa(root: string): Promise<{ port: number; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn('in.tftpd', ['-L', '-s', root, '-a', `127.0.0.1:${port}`], { stdio: 'ignore' });
  await waitStarted(proc, 'in.tftpd (is tftpd-hpa installed?)');
  return { port, proc };
}

/** Our server in its own process, like tftpd-hpa, so CPU time is measured the same way. */
async function startDragonfly(root: string): Promise<{ port: number; proc: ChildProcess }> {
  const port = await freePort();
  const self = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, ['--import', 'tsx', self, '--serve', root, String(port)], { stdio: 'ignore' });
  await waitStarted(proc, 'the Dragonfly TFTP server');
  return { port, proc };
}

/** Runs `--relay` in its own process in front of a server; returns the port clients use. */
async function startRelay(serverPort: number): Promise<{ port: number; proc: ChildProcess }> {
  const port = await freePort();
  const self = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, ['--import', 'tsx', self, '--relay', String(serverPort), String(port), String(DELAY_MS)], { stdio: 'ignore' });
  await waitStarted(proc, 'the delay relay');
  return { port, proc };
}

/**
 * A UDP relay that delays every datagram: one upstream socket per client (the server sees
 * it as the client's TID) and one client-facing socket per server TID (the client sees a
 * new TID per transfer, as it would from the server itself).
 */
async function relay(serverPort: number, listenPort: number, delayMs: number): Promise<void> {
  const bindLocal = async (port: number) => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(port, '127.0.0.1', r));
    return s;
  };
  const later = (fn: () => void) => setTimeout(fn, delayMs);
  const flows = new Map<string, dgram.Socket>();
  const front = await bindLocal(listenPort);
  front.on('message', async (msg, client) => {
    const key = `${client.address}:${client.port}`;
    let up = flows.get(key);
    if (!up) {
      up = await bindLocal(0);
      flows.set(key, up);
      const faces = new Map<number, dgram.Socket>();
      const upstream = up;
      upstream.on('message', async (reply, server) => {
        let face = faces.get(server.port);
        if (!face) {
          face = await bindLocal(0);
          faces.set(server.port, face);
          face.on('message', (m) => later(() => upstream.send(m, server.port, '127.0.0.1')));
        }
        const f = face;
        later(() => f.send(reply, client.port, client.address));
      });
    }
    const u = up;
    later(() => u.send(msg, serverPort, '127.0.0.1'));
  });
}

async function serve(root: string, port: number): Promise<void> {
  const server = await createTftpServer({ address: '127.0.0.1', port, root, maxBlksize: 1468, maxWindowsize: 16 });
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
}

function statFields(pid: number | string): string[] | undefined {
  try {
    // After "comm)" the fields start at field 3: ppid is field 4, utime 14, stime 15.
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  } catch {
    return undefined; // exited meanwhile
  }
}
const ticksOf = (f: string[]) => Number(f[11]) + Number(f[12]);

/**
 * Server CPU time, ms: the process itself plus its children. tftpd-hpa ignores SIGCHLD, so
 * the kernel never adds its per-transfer children to its own counters: they are sampled
 * every 10 ms while they run (the last < 10 ms of each is missed, which favours tftpd-hpa).
 */
function cpuMeter(pid: number) {
  const children = new Map<string, number>();
  const sample = () => {
    for (const entry of readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(entry)) continue;
      const f = statFields(entry);
      if (f && Number(f[1]) === pid) children.set(entry, ticksOf(f));
    }
  };
  const own = () => ticksOf(statFields(pid) ?? []);
  const start = own();
  const timer = setInterval(sample, 10);
  return {
    stop(): number {
      clearInterval(timer);
      sample();
      const ticks = own() - start + [...children.values()].reduce((a, b) => a + b, 0);
      return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
    },
  };
}

function atftp(port: number, remote: string, local: string, options: string[]): Promise<unknown> {
  const opts = options.flatMap((o) => ['--option', o]);
  return run('atftp', [...opts, '-g', '-r', remote, '-l', local, '127.0.0.1', String(port)], { timeout: 120_000 });
}

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

type Figure = { mbps: number; cpuMsPerMb: number };

/** Runs `clients` fetches at once; returns aggregate MB/s, server CPU per MB, and checks every copy. */
async function concurrentFetch(pid: number, port: number, remote: string, size: number, options: string[], outDir: string, tag: string, want: string): Promise<Figure> {
  const meter = cpuMeter(pid);
  const t0 = process.hrtime.bigint();
  const files = Array.from({ length: CLIENTS }, (_, i) => join(outDir, `${tag}-${i}`));
  await Promise.all(files.map((f) => atftp(port, remote, f, options)));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const mb = (size * CLIENTS) / 1e6;
  const figure = { mbps: mb / seconds, cpuMsPerMb: meter.stop() / mb };
  for (const f of files) if (sha(f) !== want) throw new Error(`${tag}: ${f} differs from the source`);
  return figure;
}

async function single(pid: number, port: number, remote: string, size: number, options: string[], out: string, want: string): Promise<Figure> {
  const meter = cpuMeter(pid);
  const t0 = process.hrtime.bigint();
  await atftp(port, remote, out, options);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const figure = { mbps: size / 1e6 / seconds, cpuMsPerMb: meter.stop() / (size / 1e6) };
  if (sha(out) !== want) throw new Error(`${out} differs from the source`);
  return figure;
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

  const ours = await startDragonfly(root);
  const hpa = await startTftpdHpa(root);
  const relays = DELAY_MS > 0 ? [await startRelay(ours.port), await startRelay(hpa.port)] : [];
  const servers = {
    dragonfly: { proc: ours.proc, port: relays[0]?.port ?? ours.port },
    'tftpd-hpa': { proc: hpa.proc, port: relays[1]?.port ?? hpa.port },
  };
  const windowed = ['blksize 1428', 'windowsize 8', 'tsize 0'];
  const lockstep = ['blksize 1428', 'tsize 0'];
  const results: Record<string, Record<string, Figure[]>> = { windowed: {}, lockstep: {}, big: {} };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? (['tftpd-hpa', 'dragonfly'] as const) : (['dragonfly', 'tftpd-hpa'] as const);
      for (const name of order) {
        const { port, proc } = servers[name];
        const pid = proc.pid!;
        (results.windowed[name] ??= []).push(await concurrentFetch(pid, port, 'ipxe.efi', ipxeSize, windowed, out, `${name}-w`, ipxeSha));
        (results.lockstep[name] ??= []).push(await concurrentFetch(pid, port, 'ipxe.efi', ipxeSize, lockstep, out, `${name}-l`, ipxeSha));
        if (DELAY_MS === 0) (results.big[name] ??= []).push(await single(pid, port, 'big.bin', big.length, windowed, join(out, `${name}-big`), bigSha));
      }
      process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
    }
  } finally {
    for (const r of relays) r.proc.kill('SIGTERM');
    ours.proc.kill('SIGTERM');
    hpa.proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  report(results, ipxeSize);
}

function report(results: Record<string, Record<string, Figure[]>>, ipxeSize: number): void {
  const labels: Record<string, string> = {
    windowed: `${CLIENTS} x atftp ipxe.efi (${ipxeSize} B), blksize 1428 windowsize 8`,
    lockstep: `${CLIENTS} x atftp ipxe.efi, blksize 1428 only (lock-step on both)`,
    big: '1 x atftp 32 MiB, blksize 1428 windowsize 8',
  };
  const summary: Record<string, unknown> = { rounds: ROUNDS, clients: CLIENTS, delayMs: DELAY_MS };
  console.log(DELAY_MS > 0 ? `each server behind a relay adding ${DELAY_MS} ms each way` : 'direct on loopback');
  for (const [key, byServer] of Object.entries(results)) {
    if (!byServer.dragonfly) continue;
    const pick = (name: string, f: keyof Figure) => median(byServer[name].map((x) => x[f]));
    const [d, h] = [pick('dragonfly', 'mbps'), pick('tftpd-hpa', 'mbps')];
    const [dc, hc] = [pick('dragonfly', 'cpuMsPerMb'), pick('tftpd-hpa', 'cpuMsPerMb')];
    summary[key] = {
      mbps: { dragonfly: +d.toFixed(1), tftpdHpa: +h.toFixed(1), ratio: +(d / h).toFixed(2) },
      serverCpuMsPerMb: { dragonfly: +dc.toFixed(1), tftpdHpaLowerBound: +hc.toFixed(1) },
    };
    console.log(`${labels[key]}`);
    console.log(`  throughput MB/s   dragonfly ${d.toFixed(1).padStart(6)}  tftpd-hpa ${h.toFixed(1).padStart(6)}  ratio ${(d / h).toFixed(2)}x`);
    console.log(`  server CPU ms/MB  dragonfly ${dc.toFixed(1).padStart(6)}  tftpd-hpa >= ${hc.toFixed(1)} (sampled children: a lower bound)`);
  }
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(summary, null, 2));
}

if (process.argv[2] === '--serve') await serve(process.argv[3], Number(process.argv[4]));
else if (process.argv[2] === '--relay') await relay(Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5]));
else await main();
