/**
 * Redfish status of N systems: our driver vs Debian's redfishtool, against the same test
 * server on 127.0.0.1 in the same run. Run: node --import tsx bench/redfish-status.bench.ts [N]
 * redfishtool is one Python process per call (as an operator's script would use it); ours is
 * one driver per system (session login included in "cold"), then a second round ("warm").
 */
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { withBoundedConcurrency } from '../core/power/bulk.ts';
import { RedfishDriver } from '../core/power/redfish/redfish-driver.ts';
import { startRedfishTestServer } from '../core/power/redfish/testing/test-server.ts';

const run = promisify(execFile);
const N = Number(process.argv[2] ?? 20);

const server = await startRedfishTestServer({ extraSystems: N - 1 });
const ids = (server.resources.get('/redfish/v1/Systems')!.Members as { '@odata.id': string }[]).map((m) => m['@odata.id'].split('/').pop()!);

async function timed(label: string, fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  console.log(`${label.padEnd(44)} ${ms.toFixed(0).padStart(7)} ms  (${(ms / N).toFixed(1)} ms/system)`);
  return ms;
}

try {
  console.log(`Redfish status of ${N} systems, test server on ${server.url}`);
  const drivers = ids.map((id) => new RedfishDriver({ baseUrl: server.url, username: 'admin', password: 'secret', system: id }));
  const cold = await timed('dragonfly driver, sequential, cold (login)', async () => {
    for (const d of drivers) await d.status();
  });
  const warm = await timed('dragonfly driver, sequential, warm', async () => {
    for (const d of drivers) await d.status();
  });
  const par = await timed('dragonfly driver, 8 in flight, warm', () => withBoundedConcurrency(drivers, 8, (d) => d.status()));
  await Promise.all(drivers.map((d) => d.close()));
  const rft = await timed('redfishtool, one process per system', async () => {
    for (const id of ids) await run('redfishtool', ['-r', `127.0.0.1:${server.port}`, '-u', 'admin', '-p', 'secret', '-S', 'Never', 'Systems', '-I', id, 'get']);
  });
  console.log(`ratio redfishtool / driver: cold ${(rft / cold).toFixed(1)}x, warm ${(rft / warm).toFixed(1)}x, 8 in flight ${(rft / par).toFixed(1)}x`);
} finally {
  await server.close();
}
