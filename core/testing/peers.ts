/**
 * The one way a test finds the real programs it drives (DESIGN.md §10: real peers wherever
 * one runs here). Every test that needs a peer, root or a host condition registers through
 * describeWithPeers / itWithPeers:
 * - all present: the suite runs;
 * - something missing and CI=true: one failing test names each missing binary and its Debian
 *   package, never a silent skip;
 * - something missing outside CI: the suite is skipped and recorded; the run then ends with
 *   one line naming every suite that did not run and why (not-run-summary.ts).
 * The Debian packages named here all come from .ci/apt-packages.sh, the single install list
 * (peers.test.ts checks that), which `npm test` runs first as root.
 */
import { appendFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { unmetNeeds, type Need } from './peer-check.ts';

export { peers, peersPresent, unmetNeeds, whichPeer, type Need, type PeerName } from './peer-check.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where suites that did not run are recorded (not-run-summary.ts); absent under another config. */
    dragonflyNotRunDir?: string;
  }
}

const inCi = () => process.env.CI === 'true' || process.env.CI === '1';

/** Appends one line for not-run-summary.ts; the directory comes from its global setup. */
function recordNotRun(title: string, reasons: string[]): void {
  const dir = inject('dragonflyNotRunDir');
  if (!dir) return;
  const testPath = expect.getState().testPath ?? 'unknown file';
  const line = JSON.stringify({ file: relative(process.cwd(), testPath), title, reasons });
  appendFileSync(join(dir, `${process.pid}.jsonl`), `${line}\n`);
}

function failingInCi(reasons: string[]): () => void {
  return () => {
    throw new Error(`cannot run here, and CI=true makes that a failure, not a skip: ${reasons.join('; ')}`);
  };
}

/** describe() that runs only where every need is met (see the file comment for what happens otherwise). */
export function describeWithPeers(needs: readonly Need[], title: string, body: () => void): void {
  const reasons = unmetNeeds(needs);
  if (reasons.length === 0) return void describe(title, body);
  if (inCi()) return void describe(title, () => it(`has its peers: ${reasons.join('; ')}`, failingInCi(reasons)));
  recordNotRun(title, reasons);
  describe.skip(`${title} [not run: ${reasons.join('; ')}]`, body);
}

/** it() that runs only where every need is met; the same rules as describeWithPeers. */
export function itWithPeers(needs: readonly Need[], title: string, body: () => unknown, timeout?: number): void {
  const reasons = unmetNeeds(needs);
  if (reasons.length === 0) return void it(title, body, timeout);
  if (inCi()) return void it(`${title} [has its peers: ${reasons.join('; ')}]`, failingInCi(reasons));
  recordNotRun(title, reasons);
  it.skip(`${title} [not run: ${reasons.join('; ')}]`, body);
}
