/**
 * IPMI bench: "power status" of 200 BMC endpoints, Dragonfly's native RMCP+ driver vs
 * `ipmitool -I lanplus` run once per BMC, both with the same parallelism, side by side.
 *
 * The 200 endpoints are 20 OpenIPMI `ipmi_sim` processes × 10 LAN channels each (ipmi_sim
 * accepts one address per LAN channel and channel numbers 1-15), each channel on its own
 * 127.0.x.y address and port. Every query opens a fresh RMCP+ session (suite 3), asks Get
 * Chassis Status and closes the session, exactly what ipmitool does per call.
 *
 *   node --import tsx bench/ipmi.bench.ts [--bmcs 200] [--parallel 16] [--rounds 3]
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { withBoundedConcurrency } from '../core/power/bulk.ts';
import { createIpmiDriver } from '../core/power/ipmi/ipmi-driver.ts';
import type { PowerState } from '../core/power/driver.ts';
import { freeUdpPort, startIpmiSim, type IpmiSim, type SimEndpoint } from '../core/power/ipmi/testing/ipmi-sim-harness.ts';

const run = promisify(execFile);
const CHANNELS_PER_SIM = 10;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function startSims(bmcs: number): Promise<IpmiSim[]> {
  const sims: Promise<IpmiSim>[] = [];
  for (let s = 0; s * CHANNELS_PER_SIM < bmcs; s++) {
    const channels: SimEndpoint[][] = [];
    for (let c = 0; c < Math.min(CHANNELS_PER_SIM, bmcs - s * CHANNELS_PER_SIM); c++) {
      channels.push([{ host: `127.0.${s + 1}.${c + 1}`, port: await freeUdpPort() }]);
    }
    sims.push(startIpmiSim({ channels }));
  }
  return Promise.all(sims);
}

interface Outcome {
  label: string;
  ms: number;
  errors: number;
  on: number;
  firstError?: string;
}

async function measure(label: string, eps: SimEndpoint[], parallel: number, status: (ep: SimEndpoint) => Promise<PowerState>): Promise<Outcome> {
  const t0 = performance.now();
  const results = await withBoundedConcurrency(eps, parallel, status);
  const ms = performance.now() - t0;
  const failed = results.filter((r) => !r.ok);
  return {
    label, ms, errors: failed.length, on: results.filter((r) => r.ok && r.value === 'on').length,
    firstError: failed[0] && !failed[0].ok ? String(failed[0].error) : undefined,
  };
}

const ours = async (ep: SimEndpoint) => {
  const d = createIpmiDriver({ ...ep, username: 'admin', password: 'secret', cipherSuite: 3, timeoutMs: 1000, retries: 2 });
  try {
    return await d.status();
  } finally {
    await d.close();
  }
};

const ipmitool = async (ep: SimEndpoint) => {
  const { stdout } = await run('ipmitool', ['-I', 'lanplus', '-C', '3', '-H', ep.host, '-p', String(ep.port), '-U', 'admin', '-P', 'secret', 'chassis', 'power', 'status']);
  if (/is on/.test(stdout)) return 'on' as const;
  if (/is off/.test(stdout)) return 'off' as const;
  throw new Error(`unexpected ipmitool output: ${stdout}`);
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const bmcs = arg('bmcs', 200);
  const parallel = arg('parallel', 16);
  const rounds = arg('rounds', 3);
  const sims = await startSims(bmcs);
  sims.forEach((s, i) => s.setPower(i % 2 === 0)); // half on, half off: results must match
  const eps = sims.flatMap((s) => s.endpoints);
  const expectedOn = sims.reduce((n, s, i) => n + (i % 2 === 0 ? s.endpoints.length : 0), 0);
  console.log(`${eps.length} BMC endpoints on ${sims.length} ipmi_sim processes; parallelism ${parallel}; ${rounds} rounds`);
  const all: Outcome[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      // alternate the order so neither side always runs on a warmer machine
      const pair = r % 2 === 0
        ? [await measure('dragonfly', eps, parallel, ours), await measure('ipmitool', eps, parallel, ipmitool)]
        : [await measure('ipmitool', eps, parallel, ipmitool), await measure('dragonfly', eps, parallel, ours)];
      pair.push(await measure(`dragonfly all ${eps.length} at once`, eps, eps.length, ours));
      for (const o of pair) {
        console.log(`round ${r + 1} ${o.label.padEnd(26)} ${o.ms.toFixed(0).padStart(6)} ms  errors ${o.errors}  on ${o.on}/${expectedOn}${o.firstError ? `  first error: ${o.firstError}` : ''}`);
      }
      all.push(...pair);
    }
  } finally {
    await Promise.all(sims.map((s) => s.stop()));
  }
  const med = (label: string) => median(all.filter((o) => o.label === label).map((o) => o.ms));
  const mine = med('dragonfly');
  const theirs = med('ipmitool');
  const burst = med(`dragonfly all ${eps.length} at once`);
  console.log(`\nmedian wall time, ${eps.length} BMCs, parallelism ${parallel}: dragonfly ${mine.toFixed(0)} ms, ipmitool ${theirs.toFixed(0)} ms, ratio ipmitool/dragonfly ${(theirs / mine).toFixed(1)}x`);
  console.log(`dragonfly with all ${eps.length} at once: ${burst.toFixed(0)} ms`);
  console.log(`errors: dragonfly ${all.filter((o) => o.label.startsWith('dragonfly')).reduce((n, o) => n + o.errors, 0)}, ipmitool ${all.filter((o) => o.label === 'ipmitool').reduce((n, o) => n + o.errors, 0)}`);
}

await main();
