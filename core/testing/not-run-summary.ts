/**
 * Vitest global setup: gives peers.ts a directory to record suites it did not run (outside
 * CI only; in CI a missing peer fails instead), and after the run prints ONE line naming
 * each such file and why, so a partial run never looks like a full one.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

interface NotRun {
  file: string;
  title: string;
  reasons: string[];
}

/** "file (reason; reason), file (reason)": one entry per file, reasons deduplicated. */
export function notRunLine(records: NotRun[]): string {
  const byFile = new Map<string, Set<string>>();
  for (const r of records) {
    const reasons = byFile.get(r.file) ?? new Set<string>();
    for (const reason of r.reasons) reasons.add(reason);
    byFile.set(r.file, reasons);
  }
  const files = [...byFile.keys()].sort();
  return files.map((f) => `${f} (${[...byFile.get(f)!].join('; ')})`).join(', ');
}

function readRecords(dir: string): NotRun[] {
  return readdirSync(dir).flatMap((name) =>
    readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as NotRun),
  );
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'dragonfly-not-run-'));
  project.provide('dragonflyNotRunDir', dir);
  return () => {
    const records = readRecords(dir);
    rmSync(dir, { recursive: true, force: true });
    if (records.length === 0) return;
    const files = new Set(records.map((r) => r.file)).size;
    console.log(`\nnot run (${records.length} suites in ${files} files; under CI=true these fail): ${notRunLine(records)}`);
  };
}
