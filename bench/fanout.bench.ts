/**
 * Rack fan-out (issue 15): N simulated agents, each a process in its own network namespace on
 * one bridge; the control plane's link limited with tc tbf to L, each agent's to K*L (a rack:
 * the laptop's link is the narrow one). L = 0 leaves every link unlimited: the machine's ceiling.
 * Unicast (every agent downloads the whole image from the control plane, as before fan-out) and
 * fan-out side by side, for each N, and beside them the alternatives fan-out was chosen over,
 * as bench prototypes on the same links, image and clock: a pipeline chain (bench/fanout/chain.ts)
 * and multicast with repair (bench/fanout/multicast.ts). Time to all disks written and verified;
 * bytes the control plane's link sent (tc's counter). Goals: fan-out time <= 2*S/L, control-plane
 * bytes <= 1.5*S. Needs root. Namespaces are named dffo-* and removed on exit, also on failure or Ctrl-C.
 *
 * Unicast at large N takes N*S/L and more (at N = 200, S = 4 MiB, L = 1 Mbit/s: at least 112 min).
 * Above --no-unicast-above it runs for --unicast-window seconds only, and its time is projected
 * from the bytes its agents had written by then (marked "~"); without a window it is not run.
 *
 *   node --import tsx bench/fanout.bench.ts [Ns=10,25,50] [imageMiB=8] [mbit=40] [chunkKiB=256] [--svg=docs/fanout-curve.svg] [--no-unicast-above=N]
 *     [--unicast-window=SECONDS] [--modes=unicast,fanout,chain,multicast (default unicast,fanout)]
 *     [--slow-agent=MBIT (the middle agent's link, both ways: one degraded machine, e.g. a bad cable)]
 *     [--agent-link=K (default 4)] [--raw (serve the image raw, not gzip)] [--memory-max=MiB (each agent in a memory cgroup)] [--disk-dir=DIR]
 * Disks are files in /dev/shm, or with --memory-max under /var/tmp (a real disk: tmpfs pages cannot be reclaimed).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { fanoutCurveSvg, type CurvePoint } from './fanout/svg.ts';
import { inGroup, memoryGroup, type MemoryGroup } from './fanout/cgroup.ts';
import { CHAIN_PORT } from './fanout/chain.ts';

const pos = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const Ns = (pos[0] ?? '10,25,50').split(',').map(Number);
const S = Number(pos[1] ?? 8) * 2 ** 20;
const MBIT = Number(pos[2] ?? 40);
const CHUNK = Number(pos[3] ?? 256) * 1024;
const unicastMax = Number(flag('no-unicast-above') ?? Infinity);
const unicastWindow = flag('unicast-window') ? Number(flag('unicast-window')) : undefined;
type Mode = 'unicast' | 'fanout' | 'chain' | 'multicast';
const MODES = (flag('modes') ?? 'unicast,fanout').split(',') as Mode[];
for (const m of MODES) if (!['unicast', 'fanout', 'chain', 'multicast'].includes(m)) throw new Error(`--modes: unknown mode ${m} (unicast, fanout, chain, multicast)`);
const AGENT_LINK = Number(flag('agent-link') ?? 4);
const SLOW_AGENT = flag('slow-agent') ? Number(flag('slow-agent')) : undefined;
const RAW = process.argv.includes('--raw');
const MEMORY_MAX = flag('memory-max') ? Number(flag('memory-max')) * 2 ** 20 : undefined;
const DISK_DIR = flag('disk-dir') ?? (MEMORY_MAX ? '/var/tmp' : '/dev/shm');
const L = (MBIT * 1e6) / 8;

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const tc = (ns: string, ...args: string[]) => execFileSync('ip', ['netns', 'exec', ns, 'tc', ...args], { encoding: 'utf8' });
const namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith('dffo-'));
const children = new Set<ChildProcess>();
const memoryGroups = new Set<MemoryGroup>();

function teardown(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
  for (const g of memoryGroups) g.remove(); // its processes were just killed
  memoryGroups.clear();
  for (const ns of namespaces()) {
    try {
      ip('netns', 'del', ns);
    } catch {
      /* already gone */
    }
  }
}
process.on('exit', teardown);

/**
 * The kernel's ARP table is one for all namespaces, capped by gc_thresh3 (1024 here). N+1
 * namespaces that all talk to each other need about (N+1)^2 entries: at N=50 (2,601) the table
 * overflowed ("neighbor table overflow!" in dmesg), new neighbours got no entry, SYNs were lost
 * (5,234 SYN retransmits, 13 EHOSTUNREACH, 1,283 peer fetches idle for 10 s; 0 tbf drops, 0
 * listen overflows) and peers looked unreachable. A rack of real machines has one table each.
 * Raised for the run, restored on exit.
 */
const NEIGH = ['gc_thresh1', 'gc_thresh2', 'gc_thresh3'].map((k) => `/proc/sys/net/ipv4/neigh/default/${k}`);
const neighBefore = NEIGH.map((f) => readFileSync(f, 'utf8').trim());
function roomForNeighbours(n: number): void {
  const need = 2 * (n + 1) ** 2 + 1024;
  NEIGH.forEach((f, i) => writeFileSync(f, String(Math.max(Number(neighBefore[i]), i === 0 ? 128 : need))));
}
process.on('exit', () => NEIGH.forEach((f, i) => writeFileSync(f, neighBefore[i])));
/** Multicast receivers' socket buffers (4 MiB; 208 KiB by default) for the run: 200 processes on 2 cores are not always scheduled in time. */
const RMEM_MAX = '/proc/sys/net/core/rmem_max';
const rmemBefore = readFileSync(RMEM_MAX, 'utf8').trim();
if (MODES.includes('multicast')) writeFileSync(RMEM_MAX, String(Math.max(Number(rmemBefore), 4 * 2 ** 20)));
process.on('exit', () => writeFileSync(RMEM_MAX, rmemBefore));
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

const agentAddr = (i: number) => `10.151.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
/** tbf on a namespace's link; no qdisc (unlimited) when the bench's L is 0. */
const limit = (ns: string, dev: string, mbit: number) => mbit > 0 && tc(ns, 'qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', `${mbit}mbit`, 'burst', '64kb', 'latency', '400ms');

/** A switch namespace with a bridge; the control plane (link L) and N agents (links K*L) each on a veth into it. */
function build(n: number): void {
  ip('netns', 'add', 'dffo-sw');
  // no IGMP snooping: multicast floods every port, as on an unmanaged switch (every agent is a receiver)
  ip('-n', 'dffo-sw', 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0');
  ip('-n', 'dffo-sw', 'link', 'set', 'br0', 'up');
  const attach = (ns: string, port: string, addr: string, mbit: number) => {
    ip('netns', 'add', ns);
    ip('-n', 'dffo-sw', 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    ip('-n', 'dffo-sw', 'link', 'set', port, 'master', 'br0', 'up');
    ip('-n', ns, 'addr', 'add', `${addr}/16`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    limit(ns, 'eth0', mbit);
  };
  attach('dffo-cp', 'p-cp', '10.151.0.1', MBIT);
  for (let i = 0; i < n; i++) attach(`dffo-a${i}`, `p-a${i}`, agentAddr(i), MBIT * AGENT_LINK);
  if (SLOW_AGENT !== undefined) {
    // the middle machine's link is slow both ways: what it sends (its namespace's side) and what it receives (the switch's port)
    const k = Math.floor(n / 2);
    tc(`dffo-a${k}`, 'qdisc', 'replace', 'dev', 'eth0', 'root', 'tbf', 'rate', `${SLOW_AGENT}mbit`, 'burst', '64kb', 'latency', '400ms');
    tc('dffo-sw', 'qdisc', 'replace', 'dev', `p-a${k}`, 'root', 'tbf', 'rate', `${SLOW_AGENT}mbit`, 'burst', '64kb', 'latency', '400ms');
  }
}

/** `cmd` in namespace `ns`; in memory group `g` (joined before `ip netns exec`, which mounts a /sys without the cgroups). */
function run(ns: string, cmd: string[], g?: MemoryGroup): ChildProcess {
  const argv = ['ip', 'netns', 'exec', ns, ...cmd];
  const [file, ...args] = g ? inGroup(g, argv) : argv;
  const c = spawn(file, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(c);
  c.on('exit', () => children.delete(c));
  return c;
}

function firstLine(c: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    createInterface({ input: c.stdout! }).once('line', resolve);
    c.once('exit', (code) => reject(new Error(`exited ${code} before a line`)));
  });
}

/** Kernel TCP counters summed over namespaces: what shows a listen backlog overflowing or SYNs lost. */
const TCP_COUNTERS = ['TcpExtListenOverflows', 'TcpExtListenDrops', 'TcpExtTCPSynRetrans', 'TcpRetransSegs', 'TcpExtTCPTimeouts'];
function tcpCounters(nss: string[]): Record<string, number> {
  const sum: Record<string, number> = Object.fromEntries(TCP_COUNTERS.map((k) => [k, 0]));
  for (const ns of nss) {
    for (const line of execFileSync('ip', ['netns', 'exec', ns, 'nstat', '-az', ...TCP_COUNTERS], { encoding: 'utf8' }).split('\n')) {
      const [k, v] = line.trim().split(/\s+/);
      if (k in sum) sum[k] += Number(v);
    }
  }
  return sum;
}
const tbfDrops = (nss: string[]) => nss.reduce((n, ns) => n + Number(/dropped (\d+)/.exec(tc(ns, '-s', 'qdisc', 'show', 'dev', 'eth0'))?.[1] ?? 0), 0);
const load = () => loadavg()[0].toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Every disk read back and hashed by the bench itself: all N must be exactly the image. */
async function verifyDisks(paths: string[], checksum: string, bytes: number): Promise<void> {
  for (const p of paths) {
    const h = createHash('sha256');
    for await (const b of createReadStream(p, { start: 0, end: bytes - 1, highWaterMark: 1 << 20 })) h.update(b as Buffer);
    if (`sha256:${h.digest('hex')}` !== checksum) throw new Error(`disk ${p} is not the image`);
  }
}
const addUp = (all: Array<Record<string, number> | undefined>) =>
  all.reduce<Record<string, number>>((t, r) => {
    for (const [k, v] of Object.entries(r ?? {})) t[k] = (t[k] ?? 0) + v;
    return t;
  }, {});

/** Bytes the control plane's link sent: tc's counter of its tbf; unlimited (no qdisc to count), the device's. */
const sentBytes = () =>
  MBIT > 0
    ? Number(/Sent (\d+) bytes/.exec(tc('dffo-cp', '-s', 'qdisc', 'show', 'dev', 'eth0'))?.[1] ?? NaN)
    : Number(execFileSync('ip', ['netns', 'exec', 'dffo-cp', 'cat', '/sys/class/net/eth0/statistics/tx_bytes'], { encoding: 'utf8' }));

type Sent = Record<'tracker' | 'chunks' | 'other', { requests: number; bytes: number }> & { swarm?: unknown };
interface Cp { url: string; tokens: string[]; sent: () => Promise<Sent> }

/** The control plane process's stdout as lines: the first is {url, tokens}, each later one answers "stats". */
async function controlPlane(c: ChildProcess): Promise<Cp> {
  const waiting: Array<(l: string) => void> = [];
  createInterface({ input: c.stdout! }).on('line', (l) => waiting.shift()?.(l));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const first = JSON.parse(await Promise.race([next(), new Promise<never>((_, reject) => c.once('exit', (code) => reject(new Error(`control plane exited ${code}`))))])) as Cp;
  return { ...first, sent: async () => (c.stdin!.write('stats\n'), JSON.parse(await next()) as Sent) };
}

/** Tracker and chunk traffic of the control plane during a round: what its link carried, by kind. */
function describeSent(mode: string, n: number, a: Sent, b: Sent, seconds: number, linkBytes: number): string {
  const d = (k: 'tracker' | 'chunks' | 'other') => ({ requests: b[k].requests - a[k].requests, bytes: b[k].bytes - a[k].bytes });
  const t = d('tracker');
  const c = d('chunks');
  return `${mode} N=${n}: control plane sent ${(linkBytes / 1e6).toFixed(2)} MB on its link; HTTP: tracker ${t.requests} calls, ${(t.bytes / 1e6).toFixed(2)} MB ` +
    `(${(t.bytes / Math.max(1, t.requests)).toFixed(0)} B a call, ${(t.requests / seconds).toFixed(1)} calls/s, ${(t.bytes / seconds / 1e3).toFixed(1)} KB/s), ` +
    `chunks ${c.requests} runs, ${(c.bytes / 1e6).toFixed(2)} MB, other ${(d('other').bytes / 1e6).toFixed(2)} MB; the rest is TCP/IP`;
}

interface Outcome {
  seconds: number;
  /** Unicast stopped after its window: `seconds` is projected from the bytes written by then. */
  projected?: boolean;
  cpBytes: number;
  fromPeers: number;
}

interface AgentResult { ms: number; fromServer: number; fromPeers: number; maxRssKiB: number; failures?: Record<string, number> }

/** Per-agent options of the alternatives (bench/fanout/agent.ts): whom a chain link streams from; the multicast receiver's address. */
function alternativeOptions(mode: Mode, i: number, n: number, cp: Cp, file: string): string[] {
  if (mode === 'chain') {
    const source = i === 0 ? `${cp.url}/images/${file}` : `http://${agentAddr(i - 1)}:${CHAIN_PORT}/chain`;
    return [JSON.stringify({ source, gzip: i === 0 && !RAW, size: S, successor: i < n - 1 })];
  }
  return mode === 'multicast' ? [JSON.stringify({ address: agentAddr(i), size: S })] : [];
}

async function round(mode: Mode, n: number, cp: Cp, image: { file: string; raw: string }, checksum: string, agentJs: string, dir: string, windowS?: number): Promise<Outcome> {
  const { file } = image;
  await mkdir(dir, { recursive: true });
  const disks = Array.from({ length: n }, (_, i) => join(dir, `disk-${mode}-${i}`));
  const groups: MemoryGroup[] = MEMORY_MAX ? disks.map((_, i) => memoryGroup(`dffo-${process.pid}-${mode}-${i}`, MEMORY_MAX)) : [];
  groups.forEach((g) => memoryGroups.add(g));
  // A small heap (buffers are outside it) so 200 agents fit; each holds a few chunks at a time.
  const cmd = (i: number) => ['node', '--max-old-space-size=64', agentJs, mode, cp.url, cp.tokens[i], file, checksum, disks[i], ...alternativeOptions(mode, i, n, cp, file)];
  const agents = disks.map((_, i) => run(`dffo-a${i}`, cmd(i), groups[i]));
  await Promise.all(agents.map(firstLine));
  // multicast: the control plane's sender, at its link's rate (the rate FOG or udpcast are told)
  const sender = mode === 'multicast' ? run('dffo-cp', ['nice', '-n', '-20', 'node', '--import', 'tsx', 'bench/fanout/mcast-sender.ts', image.raw, String(n), '10.151.0.1', String(MBIT > 0 ? L : 1e9)]) : undefined;
  if (sender) await firstLine(sender);
  const nss = Array.from({ length: n }, (_, i) => `dffo-a${i}`);
  const tcp0 = tcpCounters([...nss, 'dffo-cp']);
  const drops0 = tbfDrops(nss);
  const before = sentBytes();
  const sent0 = await cp.sent();
  const t0 = performance.now();
  const load0 = load();
  const progress: Array<(bytes: number) => void> = [];
  const results = agents.map((a, i) => new Promise<AgentResult>((resolve, reject) => {
    createInterface({ input: a.stdout! }).on('line', (l) => {
      const m = JSON.parse(l) as AgentResult | { progress: number };
      if ('progress' in m) progress[i]?.(m.progress);
      else resolve(m);
    });
    a.once('exit', (code) => code !== 0 && reject(new Error(`a ${mode} agent exited ${code}`)));
  }));
  const senderDone = sender ? new Promise<string>((resolve) => createInterface({ input: sender.stdout! }).once('line', resolve)) : undefined;
  for (const a of [...agents, ...(sender ? [sender] : [])]) a.stdin!.write('go\n');
  const all = Promise.all(results);
  if (windowS !== undefined && !(await Promise.race([all.then(() => true), sleep(windowS * 1000).then(() => false)]))) {
    return stopUnicast(n, agents, progress, windowS, before, disks, dir, groups);
  }
  const r = await all;
  const wall = Math.max(...r.map((x) => x.ms)) / 1000;
  const sentAll = await cp.sent(); // every agent done, lingering included
  if (senderDone) console.error(`multicast N=${n}: sender ${await senderDone}`);
  const linkBytes = sentBytes() - before;
  const sentSeconds = (performance.now() - t0) / 1000;
  await Promise.all(agents.map((a) => new Promise((res) => (a.exitCode !== null ? res(0) : a.once('exit', res)))));
  const loadEnd = load();
  const peaks = groups.map((g) => g.peak());
  groups.forEach((g) => (g.remove(), memoryGroups.delete(g)));
  await verifyDisks(disks, checksum, S);
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  const rss = r.map((x) => x.maxRssKiB / 1024);
  console.error(`${mode} N=${n}: all ${n} disks verified by the bench; peak RSS per agent MiB median ${median(rss).toFixed(0)} max ${Math.max(...rss).toFixed(0)}` +
    (peaks.length ? `; memory cgroups (limit ${MEMORY_MAX! / 2 ** 20} MiB) peak MiB max ${(Math.max(...peaks) / 2 ** 20).toFixed(0)}` : '') +
    `; aggregate ${((n * S) / wall / 1e6).toFixed(1)} MB/s; load ${load0} -> ${loadEnd}; time per disk s median ${(median(r.map((x) => x.ms)) / 1000).toFixed(1)} max ${wall.toFixed(1)}` +
    (MBIT > 0 ? `, ${r.filter((x) => x.ms / 1000 > (1.5 * S) / L).length} of ${n} over 1.5·S/L` : ''));
  const tcp1 = tcpCounters([...nss, 'dffo-cp']);
  const tcp = Object.fromEntries(TCP_COUNTERS.map((k) => [k, tcp1[k] - tcp0[k]]));
  console.error(describeSent(mode, n, sent0, sentAll, sentSeconds, linkBytes));
  if (mode === 'fanout') console.error(`${mode} N=${n}: tracker ${JSON.stringify(sentAll.swarm)}`);
  console.error(`${mode} N=${n}: failures ${JSON.stringify(addUp(r.map((x) => x.failures)))}; tcp ${JSON.stringify(tcp)}; tbf drops on agent links ${tbfDrops(nss) - drops0}`);
  return { seconds: wall, cpBytes: linkBytes, fromPeers: r.reduce((s, x) => s + x.fromPeers, 0) };
}

/**
 * Unicast's window is over: each agent tells the bytes it has taken in (decoded), the agents are
 * stopped, and the round's time is projected as the window times N*S over those bytes: the rate
 * of the window, kept up to the end. Never under N*S/L (the link carries N*S at most at L).
 */
async function stopUnicast(n: number, agents: ChildProcess[], progress: Array<(bytes: number) => void>, windowS: number, before: number, disks: string[], dir: string, groups: MemoryGroup[]): Promise<Outcome> {
  const linkBytes = sentBytes() - before;
  const bytes = await Promise.all(agents.map((a, i) => new Promise<number>((resolve) => ((progress[i] = resolve), a.stdin!.write('progress\n')))));
  for (const a of agents) a.kill('SIGKILL');
  await Promise.all(agents.map((a) => new Promise((res) => (a.exitCode !== null || a.signalCode !== null ? res(0) : a.once('exit', res)))));
  groups.forEach((g) => (g.remove(), memoryGroups.delete(g)));
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  const done = bytes.reduce((a, b) => a + b, 0);
  const finished = bytes.filter((b) => b >= S).length;
  const seconds = (windowS * n * S) / Math.max(1, done);
  console.error(`unicast N=${n}: stopped after its ${windowS} s window: ${(done / 1e6).toFixed(2)} MB of ${((n * S) / 1e6).toFixed(1)} MB taken in (${finished} of ${n} disks whole), ` +
    `${(done / windowS / 1e3).toFixed(1)} KB/s, the link sent ${(linkBytes / 1e6).toFixed(2)} MB; projected ${seconds.toFixed(0)} s (N·S/L = ${((n * S) / L).toFixed(0)} s); disks ${disks.length} not verified`);
  return { seconds, projected: true, cpBytes: n * S, fromPeers: 0 };
}

async function main(): Promise<void> {
  teardown(); // a run killed hard leaves its namespaces behind
  const dir = await mkdtemp(join(tmpdir(), 'df-bench-fanout-'));
  const raw = randomBytes(S);
  const file = RAW ? 'bench.raw' : 'bench.raw.gz';
  await writeFile(join(dir, file), RAW ? raw : gzipSync(raw, { level: 1 }));
  const image = { file, raw: join(dir, 'raw-for-multicast') }; // the multicast sender sends raw blocks
  if (MODES.includes('multicast')) await writeFile(image.raw, raw);
  const checksum = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  const agentJs = join(dir, 'agent.mjs');
  // ws (the tracker channel) is CommonJS and requires Node's modules: an ES module bundle needs a require.
  const requireShim = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";
  execFileSync('npx', ['esbuild', 'bench/fanout/agent.ts', '--bundle', '--platform=node', '--format=esm', `--banner:js=${requireShim}`, `--outfile=${agentJs}`, '--log-level=warning']);
  const points: CurvePoint[] = [];
  const links = (MBIT > 0 ? `control plane's link ${MBIT} Mbit/s tbf, agents' ${MBIT * AGENT_LINK}; S/L = ${(S / L).toFixed(1)} s` : 'links unlimited (the ceiling)') +
    (SLOW_AGENT !== undefined ? `; the middle agent's link ${SLOW_AGENT} Mbit/s both ways` : '');
  console.log(`image ${S / 2 ** 20} MiB (incompressible, served ${RAW ? 'raw' : 'gzip'}), chunks ${CHUNK / 1024} KiB, ${links}, disks in ${DISK_DIR}`);
  console.log(['N', ...MODES.map((m) => `${m} s`), 'goal 2S/L s', ...MODES.map((m) => `cp bytes/S ${m}`), 'fan-out from peers/S'].join('\t'));
  for (const n of Ns) {
    roomForNeighbours(n);
    build(n);
    // In a rack the control plane is a computer of its own; here it shares 2 cores with N agents
    // and at equal priority got 1/(N+1) of them: at N=50 its tracker answers took over 10 s. At
    // nice -10 (weight 9,548 against 1,024 per agent) 200 busy agents still left it under 5 %
    // (251 tracker time-outs); nice -20 (88,761) leaves it about 30 %.
    const cpProc = run('dffo-cp', ['nice', '-n', '-20', 'node', '--import', 'tsx', 'bench/fanout/cp.ts', join(dir, file), String(CHUNK), String(n), '10.151.0.1']);
    const cp = await controlPlane(cpProc);
    const disks = join(DISK_DIR, `df-bench-fanout-${process.pid}`);
    const out: Partial<Record<Mode, Outcome>> = {};
    for (const mode of MODES) {
      const windowS = mode === 'unicast' && n > unicastMax ? unicastWindow : undefined;
      if (mode === 'unicast' && n > unicastMax && windowS === undefined) continue;
      out[mode] = await round(mode, n, cp, image, checksum, agentJs, `${disks}-${mode}`, windowS);
    }
    cpProc.stdin!.end();
    const secs = (o?: Outcome) => (o ? `${o.projected ? '~' : ''}${o.seconds.toFixed(1)}` : '-');
    const ratio = (o?: Outcome) => (o ? `${o.projected ? '~' : ''}${(o.cpBytes / S).toFixed(2)}` : '-');
    console.log([n, ...MODES.map((m) => secs(out[m])), MBIT > 0 ? ((2 * S) / L).toFixed(1) : '-', ...MODES.map((m) => ratio(out[m])), out.fanout ? (out.fanout.fromPeers / S).toFixed(1) : '-'].join('\t'));
    points.push({
      n,
      unicast: out.unicast?.projected ? undefined : out.unicast?.seconds,
      unicastProjected: out.unicast?.projected ? out.unicast.seconds : undefined,
      fanout: out.fanout?.seconds,
      chain: out.chain?.seconds,
      multicast: out.multicast?.seconds,
    });
    teardown();
  }
  const svg = flag('svg');
  if (svg) await writeFile(svg, fanoutCurveSvg(points, (2 * S) / L, `S = ${S / 2 ** 20} MiB, L = ${MBIT} Mbit/s`, S / L));
  await rm(dir, { recursive: true, force: true });
}

await main();
