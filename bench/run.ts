/**
 * `npm run bench [-- NAME...]`: runs the named benchmarks (or lists them). Each benchmark
 * measures Dragonfly against a reference side by side in the same run and prints its table;
 * results and the machine they ran on go in docs/BENCHMARKS.md. Some need root (namespaces).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .sort();
const wanted = process.argv.slice(2);

if (wanted.length === 0) {
  console.log(`benchmarks: ${all.join(', ')}\nrun: npm run bench -- NAME [NAME...]   (or: npm run bench -- all)`);
  process.exit(0);
}
const names = wanted.includes('all') ? all : wanted;
const unknown = names.filter((n) => !all.includes(n));
if (unknown.length) {
  console.error(`no benchmark named ${unknown.join(', ')} (have: ${all.join(', ')})`);
  process.exit(2);
}
let failed = 0;
for (const n of names) {
  console.log(`\n=== ${n}`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(here, `${n}.bench.ts`)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
