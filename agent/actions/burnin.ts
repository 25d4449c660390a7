import type { MemtestAction, DisktestAction, CpustressAction, DiskSelector } from '../../core/model/template.ts';
import type { Static } from 'typebox';
import type { BurninDeps } from './burnin-common.ts';
import { runCpustress } from './cpustress.ts';
import { runDisktest, type DiskTarget } from './disktest.ts';
import type { Exec } from './exec.ts';
import { runMemtest } from './memtest.ts';

export type BurninAction = Static<typeof MemtestAction> | Static<typeof DisktestAction> | Static<typeof CpustressAction>;

export interface BurninRunDeps extends BurninDeps {
  /** The disk a selector chooses (runner.ts: selectDisk over the registered facts). */
  disk: (sel: DiskSelector) => DiskTarget;
  exec: Exec;
}

/**
 * Runs one burn-in check (issue 17): resolves with its figures for the Succeeded message, or
 * throws with them, which the runner reports as Failed and which stops the workflow before
 * anything is written.
 */
export async function runBurnin(a: BurninAction, d: BurninRunDeps): Promise<string> {
  switch (a.type) {
    case 'memtest':
      return runMemtest(a, d);
    case 'disktest':
      return runDisktest(a, d.disk(a.disk), d);
    case 'cpustress':
      return runCpustress(a, d);
  }
}
