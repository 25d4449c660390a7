import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { burninDefaults } from '../../core/model/burnin-defaults.ts';
import type { CpustressAction } from '../../core/model/template.ts';
import type { Static } from 'typebox';
import { figure, type BurninDeps } from './burnin-common.ts';

/** Each iteration hashes this many bytes (SHA-256) and checks the digest: load that also catches a CPU that computes wrong. */
const WORK_BYTES = 64 * 1024;

export interface CpustressDeps extends BurninDeps {
  /** Worker threads, one per CPU; default os.availableParallelism(). */
  cpus?: number;
  /** Where sysfs is; default /sys. Tests point it at a fake tree. */
  sysRoot?: string;
  /** Milliseconds between temperature readings during the load; default 1000. */
  sampleMs?: number;
  /** Test seam: the digest every iteration must produce (a wrong one stands for a CPU that computes wrong); default the real one. */
  expectedDigest?: string;
}

export interface Temperature {
  celsius: number;
  /** Which sensor: "thermal_zone0 (x86_pkg_temp)" or "hwmon1 coretemp temp2". */
  sensor: string;
}

/**
 * The hottest sensor sysfs reports now: thermal zones (/sys/class/thermal/thermal_zone*\/temp)
 * and hwmon (/sys/class/hwmon/hwmon*\/temp*_input), both in millidegrees Celsius. Undefined when
 * the machine reports none (most VMs), or every reading is unreadable.
 */
export function hottest(sysRoot = '/sys'): Temperature | undefined {
  let best: Temperature | undefined;
  const consider = (file: string, sensor: string) => {
    const text = readOr(file, '').trim();
    const milli = Number(text);
    if (text === '' || !Number.isFinite(milli)) return; // a sensor that errors on read (EIO) or is empty
    const celsius = milli / 1000;
    if (celsius > -50 && celsius < 200 && (!best || celsius > best.celsius)) best = { celsius, sensor };
  };
  const thermal = join(sysRoot, 'class/thermal');
  for (const z of list(thermal).filter((n) => n.startsWith('thermal_zone'))) {
    consider(join(thermal, z, 'temp'), `${z} (${readOr(join(thermal, z, 'type'), '?').trim()})`);
  }
  const hwmon = join(sysRoot, 'class/hwmon');
  for (const h of list(hwmon)) {
    const name = readOr(join(hwmon, h, 'name'), '?').trim();
    for (const t of list(join(hwmon, h)).filter((n) => /^temp\d+_input$/.test(n))) consider(join(hwmon, h, t), `${h} ${name} ${t.replace('_input', '')}`);
  }
  return best;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

interface WorkerResult {
  iterations: number;
  errors: number;
  ms: number;
}

/** The cpustress action: throws with the figures on a wrong result, a thread that did nothing, or a temperature above maxTemperatureC. */
export async function runCpustress(a: Static<typeof CpustressAction>, d: CpustressDeps = {}): Promise<string> {
  const seconds = a.seconds ?? burninDefaults.seconds;
  const cpus = Math.max(1, d.cpus ?? availableParallelism());
  const before = hottest(d.sysRoot);
  let peak = before;
  const sample = () => {
    const t = hottest(d.sysRoot);
    if (t && (!peak || t.celsius > peak.celsius)) peak = t;
  };
  const timer = setInterval(sample, d.sampleMs ?? 1000);
  let results: WorkerResult[];
  try {
    const work = Buffer.alloc(WORK_BYTES, 0x5a);
    const expected = d.expectedDigest ?? createHash('sha256').update(work).digest('hex');
    results = await Promise.all(Array.from({ length: cpus }, () => stressOneCpu(seconds * 1000, expected)));
  } finally {
    clearInterval(timer);
  }
  sample();
  return verdict(a, seconds, results, before, peak);
}

function stressOneCpu(ms: number, expected: string): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    // Inline CommonJS source, not a file: the agent ships as one bundled file (as hash-worker.ts).
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { ms, expected, bytes: WORK_BYTES } });
    w.once('message', (r: WorkerResult) => {
      resolve(r);
      void w.terminate();
    });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`a cpustress thread stopped (exit ${code}) before it reported`)));
  });
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { ms, expected, bytes } = workerData;
const work = Buffer.alloc(bytes, 0x5a);
const started = Date.now();
let iterations = 0, errors = 0;
while (Date.now() - started < ms) {
  if (createHash('sha256').update(work).digest('hex') !== expected) errors++;
  iterations++;
}
parentPort.postMessage({ iterations, errors, ms: Date.now() - started });
`;

function verdict(a: Static<typeof CpustressAction>, seconds: number, results: WorkerResult[], before: Temperature | undefined, peak: Temperature | undefined): string {
  const rates = results.map((r) => figure(r.iterations / (r.ms / 1000)));
  const errors = results.reduce((n, r) => n + r.errors, 0);
  const temperature = peak ? `temperature ${figure(before?.celsius ?? peak.celsius)} °C before, peak ${figure(peak.celsius)} °C (${peak.sensor})` : 'temperature not reported';
  const figures = `${results.length} CPU${results.length > 1 ? 's' : ''} × ${seconds} s, iterations/s per CPU ${rates.join(', ')} (SHA-256 of ${WORK_BYTES / 1024} KiB), ${errors} errors; ${temperature}`;
  if (errors > 0) {
    const which = results.flatMap((r, i) => (r.errors ? [`cpu ${i}: ${r.errors} of ${r.iterations}`] : [])).join(', ');
    throw new Error(`cpustress: ${errors} wrong results (${which}); ${figures}`);
  }
  const idle = results.findIndex((r) => r.iterations === 0);
  if (idle >= 0) throw new Error(`cpustress: cpu ${idle} finished no iteration in ${seconds} s; ${figures}`);
  if (a.maxTemperatureC !== undefined && peak && peak.celsius > a.maxTemperatureC) {
    throw new Error(`cpustress: ${figure(peak.celsius)} °C (${peak.sensor}) is above maxTemperatureC ${a.maxTemperatureC}; ${figures}`);
  }
  return `cpustress: ${figures}`;
}
