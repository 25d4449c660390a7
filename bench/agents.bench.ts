/**
 * 1,000 simulated agents registering and heartbeating at once against a real control plane
 * (lowdb backend, on loopback): latency percentiles, errors, memory. The reference is the
 * same number of requests to /healthz in the same run (the HTTP stack alone), so the ratio
 * says what registration itself costs.
 *
 *   node --import tsx bench/agents.bench.ts [agents=1000] [heartbeats=5]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, setGlobalDispatcher } from 'undici';
import { createControlPlane } from '../core/app/control-plane.ts';
import { discardLogger } from '../core/shared/logger.ts';
import { sampleFacts } from '../core/testing/api-harness.ts';

const AGENTS = Number(process.argv[2] ?? 1000);
const HEARTBEATS = Number(process.argv[3] ?? 5);
setGlobalDispatcher(new Agent({ connections: 256 }));

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const mac = (i: number) => `52:54:01:${[(i >> 16) & 255, (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;

async function timed(fn: () => Promise<Response>, lat: number[], errors: string[]): Promise<Response | undefined> {
  const t = performance.now();
  try {
    const r = await fn();
    lat.push(performance.now() - t);
    if (!r.ok) errors.push(`HTTP ${r.status}`);
    return r;
  } catch (e) {
    errors.push((e as Error).message);
    return undefined;
  }
}

const dir = await mkdtemp(join(tmpdir(), 'df-bench-agents-'));
const cp = await createControlPlane({ dataDir: dir, httpPort: 0, listen: '127.0.0.1', tftpPort: 0, logger: discardLogger });
try {
  const url = cp.url;
  const ref: number[] = [];
  const refErr: string[] = [];
  await Promise.all(Array.from({ length: AGENTS }, () => timed(() => fetch(`${url}/healthz`), ref, refErr)));

  const rssBefore = process.memoryUsage().rss;
  const reg: number[] = [];
  const regErr: string[] = [];
  const t0 = performance.now();
  const tokens = await Promise.all(
    Array.from({ length: AGENTS }, async (_, i) => {
      const m = mac(i);
      const enrol = cp.auth.issueEnrolmentToken(m);
      const r = await timed(
        () =>
          fetch(`${url}/api/agent/v1/register`, {
            method: 'POST',
            headers: { authorization: `Bearer ${enrol}`, 'content-type': 'application/json' },
            body: JSON.stringify({ mac: m, facts: { ...sampleFacts([m]), dmi: { uuid: `00000000-0000-0000-0000-${i.toString(16).padStart(12, '0')}` } } }),
          }),
        reg,
        regErr,
      );
      return r?.ok ? ((await r.json()) as { agentToken: string }).agentToken : undefined;
    }),
  );
  const regWall = performance.now() - t0;
  const hb: number[] = [];
  const hbErr: string[] = [];
  const t1 = performance.now();
  for (let round = 0; round < HEARTBEATS; round++) {
    await Promise.all(
      tokens.map((tok, i) =>
        timed(
          () => fetch(`${url}/api/agent/v1/heartbeat`, { method: 'POST', headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' }, body: JSON.stringify({ mac: mac(i) }) }),
          hb,
          hbErr,
        ),
      ),
    );
  }
  const hbWall = performance.now() - t1;
  const stored = (await cp.store.list('Hardware')).items.length;
  const row = (name: string, xs: number[], errs: string[], wall?: number) =>
    `| ${name} | ${xs.length} | ${pct(xs, 50).toFixed(1)} | ${pct(xs, 99).toFixed(1)} | ${errs.length} | ${wall ? Math.round((xs.length / wall) * 1000) : ''} |`;
  console.log(`\n${AGENTS} agents, ${HEARTBEATS} heartbeat rounds, lowdb backend, loopback\n`);
  console.log('| requests | n | p50 ms | p99 ms | errors | req/s |\n|---|---|---|---|---|---|');
  console.log(row('GET /healthz (reference)', ref, refErr));
  console.log(row('register', reg, regErr, regWall));
  console.log(row('heartbeat', hb, hbErr, hbWall));
  console.log(`\nHardware objects stored: ${stored} (want ${AGENTS}); RSS ${Math.round(rssBefore / 2 ** 20)} → ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`);
  console.log(`p99 ratio register / healthz: ${(pct(reg, 99) / pct(ref, 99)).toFixed(1)}×; heartbeat / healthz: ${(pct(hb, 99) / pct(ref, 99)).toFixed(1)}×`);
  if (regErr.length || hbErr.length) console.log('first errors:', [...regErr, ...hbErr].slice(0, 5));
} finally {
  await cp.close();
  await rm(dir, { recursive: true, force: true });
}
