/**
 * Store benchmark: N realistic Hardware objects, many concurrent writers doing durable
 * status updates (read, change, write with the version read), one reader timing list and
 * get under that load, peak RSS. lowdb against a better-sqlite3 reference (WAL,
 * synchronous=FULL: equally durable) in the same run, plus etcd when the binary exists.
 * Each backend runs in its own child process so RSS figures do not mix.
 *
 *   node --import tsx bench/store.bench.ts [--objects 10000] [--seconds 10] [--writers 256] [--backends lowdb,sqlite,etcd] [--reader on|off]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mutate } from '../core/store/mutate.ts';
import type { Store } from '../core/store/store.ts';
import type { StoredObject } from '../core/model/meta.ts';
import { benchHardware } from './store-fixtures.ts';

const { values: args } = parseArgs({
  options: {
    objects: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '10' },
    writers: { type: 'string', default: '256' },
    backends: { type: 'string', default: 'lowdb,sqlite,etcd' },
    reader: { type: 'string', default: 'on' },
    child: { type: 'string' },
  },
});
const OBJECTS = Number(args.objects);
const SECONDS = Number(args.seconds);
const WRITERS = Number(args.writers);
/**
 * The reader (UIs, CLIs, the boot path) pauses this long between rounds of one list by
 * label and 10 gets; every LIST_ALL_EVERY-th round also lists all machines. A UI lists
 * everything once and then follows the watch, so a full list about once a second is
 * already a heavy reader.
 */
const READER_PAUSE_MS = 100;
const LIST_ALL_EVERY = 10;

interface Result {
  backend: string;
  populateSeconds: number;
  updatesPerSecond: number;
  update: Percentiles;
  listAll: Percentiles;
  listSelector: Percentiles;
  get: Percentiles;
  peakRssMb: number;
  fileMb?: number;
  failedUpdates: number;
  firstError: string;
}
interface Percentiles {
  p50: number;
  p99: number;
  n: number;
}

function percentiles(samples: number[]): Percentiles {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { p50: +at(0.5).toFixed(2), p99: +at(0.99).toFixed(2), n: s.length };
}

const nameOf = (i: number) => `node-${String(i).padStart(5, '0')}`;

async function populate(store: Store): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < OBJECTS) await store.create(benchHardware(next++));
    }),
  );
  return (performance.now() - t0) / 1000;
}

/** Timed phase: writers update statuses, the reader times list and get, RSS is sampled. */
async function load(store: Store) {
  const until = performance.now() + SECONDS * 1000;
  const updateMs: number[] = [];
  const listAllMs: number[] = [];
  const listSelMs: number[] = [];
  const getMs: number[] = [];
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const timed = async (into: number[], fn: () => Promise<unknown>) => {
    const t = performance.now();
    try {
      await fn();
    } finally {
      into.push(performance.now() - t);
    }
  };
  let errors = 0;
  let firstError = '';
  const writer = async (w: number) => {
    for (let k = 0; performance.now() < until; k++) {
      const name = nameOf(Math.floor(Math.random() * OBJECTS));
      await timed(updateMs, () =>
        mutate<StoredObject>(store, 'Hardware', name, (o) => {
          const status = o.status as Record<string, unknown>;
          status.lastSeen = new Date().toISOString();
          status.message = `heartbeat ${w}/${k}`;
          return o;
        }, 100),
      ).catch((e: Error) => {
        errors++;
        firstError ||= e.message;
        updateMs.pop();
      });
    }
  };
  const reader = async () => {
    for (let k = 0; performance.now() < until; k++) {
      if (k % LIST_ALL_EVERY === 0) await timed(listAllMs, () => store.list('Hardware'));
      await timed(listSelMs, () => store.list('Hardware', { labelSelector: `rack=r${k % 40}` }));
      for (let g = 0; g < 10; g++) await timed(getMs, () => store.get('Hardware', nameOf(Math.floor(Math.random() * OBJECTS))));
      await new Promise((r) => setTimeout(r, READER_PAUSE_MS));
    }
  };
  const t0 = performance.now();
  await Promise.all([args.reader === 'off' ? undefined : reader(), ...Array.from({ length: WRITERS }, (_, w) => writer(w))]);
  const elapsed = (performance.now() - t0) / 1000;
  clearInterval(rssTimer);
  return {
    updatesPerSecond: Math.round(updateMs.length / elapsed),
    failedUpdates: errors,
    firstError,
    update: percentiles(updateMs),
    listAll: percentiles(listAllMs),
    listSelector: percentiles(listSelMs),
    get: percentiles(getMs),
    peakRssMb: Math.round(peakRss / 2 ** 20),
  };
}

async function openBackend(backend: string, dir: string): Promise<{ store: Store; file?: string; stop: () => Promise<void> }> {
  if (backend === 'lowdb') {
    const { createLowdbStore, DATA_FILE } = await import('../core/store/lowdb/lowdb-store.ts');
    const store = await createLowdbStore({ dataDir: dir });
    return { store, file: join(dir, DATA_FILE), stop: async () => {} };
  }
  if (backend === 'sqlite') {
    const { createSqliteBaseline } = await import('./sqlite-baseline.ts');
    return { store: createSqliteBaseline(join(dir, 'bench.sqlite')), file: join(dir, 'bench.sqlite'), stop: async () => {} };
  }
  if (backend === 'etcd') {
    const { startEtcd } = await import('../core/store/etcd/etcd-process.ts');
    const { createEtcdStore } = await import('../core/store/etcd/etcd-store.ts');
    const etcd = await startEtcd();
    // A generous deadline: measure latency under overload rather than time-outs.
    return { store: await createEtcdStore({ endpoints: [etcd.endpoint], requestTimeoutMs: 60_000 }), stop: etcd.stop };
  }
  throw new Error(`unknown backend ${backend}`);
}

async function runChild(backend: string): Promise<void> {
  // On disk, not tmpfs: fsync must cost what it costs on a laptop's SSD.
  const dir = await mkdtemp(join(process.env.BENCH_DIR ?? '/var/tmp', `df-bench-${backend}-`));
  const { store, file, stop } = await openBackend(backend, dir);
  try {
    const populateSeconds = +(await populate(store)).toFixed(1);
    const measured = await load(store);
    const fileMb = file ? +((await stat(file)).size / 2 ** 20).toFixed(1) : undefined;
    const result: Result = { backend, populateSeconds, ...measured, fileMb };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } finally {
    await store.close();
    await stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function spawnChild(backend: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', backend, '--objects', String(OBJECTS), '--seconds', String(SECONDS), '--writers', String(WRITERS), '--reader', args.reader!], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (line) resolve(JSON.parse(line.slice(7)));
      else reject(new Error(`${backend} benchmark failed (exit ${code}): ${out}`));
    });
  });
}

function report(results: Result[]): void {
  console.log(`\nstore benchmark: ${OBJECTS} Hardware objects (~${JSON.stringify(benchHardware(1)).length} B each), ${WRITERS} concurrent writers, ${SECONDS} s\n`);
  const row = (r: Result) =>
    `${r.backend.padEnd(7)} ${String(r.updatesPerSecond).padStart(7)}/s  update p50/p99 ${r.update.p50}/${r.update.p99} ms  ` +
    `list all p50/p99 ${r.listAll.p50}/${r.listAll.p99} ms  list rack=… ${r.listSelector.p50}/${r.listSelector.p99} ms  ` +
    `get ${r.get.p50}/${r.get.p99} ms  RSS ${r.peakRssMb} MB  populate ${r.populateSeconds} s${r.fileMb !== undefined ? `  file ${r.fileMb} MB` : ''}` +
    (r.failedUpdates ? `  FAILED updates ${r.failedUpdates} (${r.firstError})` : '');
  for (const r of results) console.log(row(r));
  const lowdb = results.find((r) => r.backend === 'lowdb');
  const sqlite = results.find((r) => r.backend === 'sqlite');
  if (lowdb && sqlite) {
    console.log(`\nlowdb / sqlite: updates ${(lowdb.updatesPerSecond / sqlite.updatesPerSecond).toFixed(2)}x, ` +
      `list-all p99 ${(lowdb.listAll.p99 / sqlite.listAll.p99).toFixed(2)}x, get p99 ${(lowdb.get.p99 / sqlite.get.p99).toFixed(2)}x, ` +
      `RSS ${(lowdb.peakRssMb / sqlite.peakRssMb).toFixed(2)}x`);
  }
  if (lowdb) {
    const ok = (b: boolean) => (b ? 'met' : 'MISSED');
    console.log(`goals (lowdb): >= 1000 durable updates/s ${ok(lowdb.updatesPerSecond >= 1000)}; ` +
      `list p99 < 50 ms ${ok(lowdb.listAll.p99 < 50)} (selector list ${ok(lowdb.listSelector.p99 < 50)}); RSS < 300 MB ${ok(lowdb.peakRssMb < 300)}`);
  }
}

if (args.child) {
  await runChild(args.child);
} else {
  const hasEtcd = spawnSync('etcd', ['--version']).status === 0;
  const backends = args.backends!.split(',').filter((b) => b !== 'etcd' || hasEtcd);
  const results: Result[] = [];
  for (const b of backends) {
    try {
      results.push(await spawnChild(b));
    } catch (e) {
      console.log(`${b}: ${(e as Error).message}`);
    }
  }
  report(results);
  if (!hasEtcd && args.backends!.includes('etcd')) console.log('(etcd skipped: no etcd binary; install etcd-server)');
}
