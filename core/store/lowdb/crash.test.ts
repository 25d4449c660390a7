import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurableStateAdapter } from './durable-adapter.ts';
import { createLowdbStore, DATA_FILE } from './lowdb-store.ts';

const CHILD_SOURCE = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
/**
 * The writer, bundled once into one plain .mjs: fifty `node --import tsx` start-ups cost
 * a second or more each on a busy 2-core machine; a bundle starts in a tenth of that.
 */
let childScript = '';
const KILLS = 50;
const PARALLEL = 2; // independent data directories, to keep the wall time down on 2 cores

interface Acked {
  seq: Map<string, number>; // counter name -> highest acknowledged seq
  created: string[];
  lines: number;
}

/** Runs the writer, SIGKILLs it `delayMs` after it is ready (or during start-up), returns what it acknowledged. */
function runAndKill(dataDir: string, runId: number, delayMs: number, duringStartup: boolean): Promise<Acked> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childScript, dataDir, String(runId)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: Acked = { seq: new Map(), created: [], lines: 0 };
    let buffered = '';
    let stderr = '';
    const kill = () => setTimeout(() => child.kill('SIGKILL'), delayMs);
    if (duringStartup) kill();
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!; // a torn last line was not fully acknowledged to us: ignore it
      for (const line of lines) {
        const [tag, a, b] = line.split(' ');
        if (tag === 'ready' && !duringStartup) kill();
        if (tag === 'u') acked.seq.set(`counter-${a}`, Math.max(acked.seq.get(`counter-${a}`) ?? 0, Number(b)));
        if (tag === 'c') acked.created.push(a);
        acked.lines++;
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`writer exited by itself (code ${code}): ${stderr}`));
    });
  });
}

async function checkFile(dataDir: string, acked: Acked, allCreated: string[]): Promise<void> {
  // What the next start reads: dragonfly.json (must parse: it is only ever replaced whole)
  // plus the journal lines after it.
  JSON.parse(await readFile(join(dataDir, DATA_FILE), 'utf8'));
  const state = (await new DurableStateAdapter(join(dataDir, DATA_FILE)).read())!;
  const hw = (state.objects.Hardware ?? {}) as Record<string, { metadata: { annotations: Record<string, string> } }>;
  for (const [name, seq] of acked.seq) {
    expect(Number(hw[name]?.metadata.annotations.seq), `${name} lost acknowledged seq ${seq}`).toBeGreaterThanOrEqual(seq);
  }
  for (const name of allCreated) expect(hw[name], `acknowledged create of ${name} lost`).toBeDefined();
}

const dirs: string[] = [];
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'df-lowdb-crash-child-'));
  dirs.push(dir);
  childScript = join(dir, 'crash-child.mjs');
  await build({ entryPoints: [CHILD_SOURCE], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: childScript, logLevel: 'error' });
});
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('lowdb store under SIGKILL', () => {
  it(`keeps every acknowledged write across ${KILLS} kills at random instants`, { timeout: 180_000 }, async () => {
    let totalAcked = 0;
    const lane = async () => {
      const dir = await mkdtemp(join(tmpdir(), 'df-lowdb-crash-'));
      dirs.push(dir);
      const created: string[] = [];
      for (let run = 0; run < KILLS / PARALLEL; run++) {
        // One run in five dies while starting (lock takeover, temp cleanup, first read).
        const duringStartup = run % 5 === 4;
        const delay = duringStartup ? 150 + Math.random() * 400 : 50 + Math.random() * 350;
        const acked = await runAndKill(dir, run, delay, duringStartup);
        created.push(...acked.created);
        totalAcked += acked.lines;
        await checkFile(dir, acked, created);
      }
      // Finally the store opens normally over whatever the last kill left.
      const s = await createLowdbStore({ dataDir: dir });
      expect((await s.list('Hardware')).items.length).toBeGreaterThanOrEqual(8 + created.length);
      await s.close();
    };
    await Promise.all(Array.from({ length: PARALLEL }, () => lane()));
    // The kills must have landed while writes were being acknowledged, or the test proves nothing.
    expect(totalAcked).toBeGreaterThan(KILLS * 10);
  });
});
