/**
 * Lab benchmark: seconds from power-on to the per-MAC iPXE script under QEMU TCG, per firmware
 * (SeaBIOS + iPXE ROM; OVMF PXE -> TFTP snponly.efi -> iPXE), with Dragonfly's DHCP/TFTP and with
 * dnsmasq as the reference, measured side by side in the same lab run (e2e/lab/scenarios/90-bench.sh).
 * Needs root (network namespaces, taps). About 80 s per round.
 *
 *   sudo node --import tsx bench/lab.bench.ts [--rounds 3]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface Sample {
  server: string;
  firmware: string;
  round: number;
  seconds: number;
}

export function parseBenchTsv(text: string): Sample[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [server, firmware, round, seconds] = l.split('\t');
      return { server: server!, firmware: firmware!, round: Number(round), seconds: Number(seconds) };
    });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function main(): void {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
  if (process.getuid?.() !== 0) {
    console.error('lab.bench.ts needs root (it builds network namespaces and taps)');
    process.exit(2);
  }
  const artifacts = mkdtempSync(join(tmpdir(), 'dfl-bench-'));
  try {
    const run = spawnSync('bash', [join(repo, 'e2e/lab/run.sh')], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, LAB_BENCH: '1', LAB_BENCH_ROUNDS: values.rounds, LAB_SCENARIOS: 'bench', LAB_AGENT: '0', LAB_ARTIFACTS: artifacts },
    });
    const samples = parseBenchTsv(readFileSync(join(artifacts, 'bench.tsv'), 'utf8'));
    console.log('\npower-on -> iPXE script (s), median of rounds, QEMU TCG');
    console.log('firmware  dragonfly  dnsmasq(ref)  ratio  rounds');
    for (const fw of ['bios', 'uefi']) {
      const d = samples.filter((s) => s.firmware === fw && s.server === 'dragonfly').map((s) => s.seconds);
      const r = samples.filter((s) => s.firmware === fw && s.server === 'dnsmasq').map((s) => s.seconds);
      if (!d.length || !r.length) continue;
      const md = median(d);
      const mr = median(r);
      console.log(`${fw.padEnd(8)}  ${md.toFixed(1).padStart(9)}  ${mr.toFixed(1).padStart(12)}  ${(md / mr).toFixed(2).padStart(5)}  ${d.length}/${r.length}`);
    }
    process.exitCode = run.status ?? 1;
  } finally {
    rmSync(artifacts, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
