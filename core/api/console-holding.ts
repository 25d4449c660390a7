/**
 * Who holds a machine's console, and the hand-over to another client. A BMC has one SOL
 * session; while a machine provisions, Dragonfly's boot log recorder holds it, so `ipmitool sol
 * activate` is refused ("SOL payload already active on another session"). IPMI v2.0 gives the
 * holder no signal that another client wants the console (the BMC only refuses that client), so
 * the hand-over is an operator's act: POST .../console/release makes Dragonfly let go (viewers
 * are told who released it; the recorder stops for the rest of this boot), and GET
 * .../console/holder says who has it, asking the BMC when Dragonfly does not.
 */
import type { FastifyInstance } from 'fastify';
import type { ConsoleHolding } from '../contract/console.ts';
import { describeHolder, type ConsoleHolder } from '../power/console.ts';
import type { ConsoleHub } from '../power/console-hub.ts';
import type { BootConsoleLogs } from '../power/boot-console-log.ts';
import { isDragonflyError } from '../shared/errors.ts';

export interface HoldingDeps {
  consoles: ConsoleHub;
  bootLogs?: BootConsoleLogs;
}

type Bmc = { holder?: ConsoleHolder; error?: string };

/** The holding as one sentence, from what Dragonfly and the BMC say. */
export function holdingMessage(h: Omit<ConsoleHolding, 'message'>, bmcError?: string): string {
  const rec = h.recorder;
  const parts = [
    ...(rec.state === 'recording' ? [`recording the boot log of ${rec.boot}`] : []),
    ...(h.viewers ? [`${h.viewers} viewer${h.viewers === 1 ? '' : 's'}`] : []),
  ];
  const released = rec.state === 'released' ? ` (released by ${rec.releasedBy} during ${rec.boot}; not recorded further)`
    : rec.state === 'waiting' ? ` (the boot log recorder of ${rec.boot} waits for it)` : '';
  if (h.heldBy === 'dragonfly') return `Dragonfly holds the console of ${h.machine}: ${parts.join(', ') || 'opening'}`;
  if (h.heldBy === 'other') return `${describeHolder(h.holder)} holds the console of ${h.machine}${released}`;
  if (h.heldBy === 'nobody') return `nobody holds the console of ${h.machine}${released}`;
  return `cannot tell who holds the console of ${h.machine}: ${bmcError ?? 'the BMC did not say'}${released}`;
}

/** The BMC's word; an unknown machine is an error of the request, a BMC that cannot say is not. */
async function askBmc(machine: string, consoles: ConsoleHub): Promise<Bmc> {
  try {
    return { holder: await consoles.holderOnBmc(machine) };
  } catch (e) {
    if (isDragonflyError(e, 'DF_ERR_NOT_FOUND')) throw e;
    return { error: (e as Error).message };
  }
}

export async function consoleHolding(machine: string, deps: HoldingDeps): Promise<ConsoleHolding> {
  const recorder = deps.bootLogs?.state(machine) ?? { state: 'off' as const };
  const total = deps.consoles.viewers(machine);
  const viewers = Math.max(0, total - (recorder.state === 'recording' ? 1 : 0));
  let bmc: Bmc = {};
  if (total === 0) bmc = await askBmc(machine, deps.consoles);
  const heldBy = total > 0 ? 'dragonfly' : bmc.error ? 'unknown' : bmc.holder ? 'other' : 'nobody';
  const h = { machine, heldBy, viewers, recorder, ...(bmc.holder ? { holder: bmc.holder } : {}) } as const;
  return { ...h, message: holdingMessage(h, bmc.error) };
}

export async function consoleHoldingRoutes(app: FastifyInstance, deps: HoldingDeps): Promise<void> {
  app.get<{ Params: { name: string } }>(
    '/api/v1/machines/:name/console/holder',
    { schema: { tags: ['Console'], summary: 'Who holds the serial console: Dragonfly (recorder, viewers), another client (as the BMC says), or nobody' } },
    async (req) => consoleHolding(req.params.name, deps),
  );
  app.post<{ Params: { name: string } }>(
    '/api/v1/machines/:name/console/release',
    { schema: { tags: ['Console'], summary: 'Dragonfly lets go of the serial console so another client (ipmitool) can take it; the boot log stops for this boot' } },
    async (req) => {
      const machine = req.params.name;
      const by = req.principal?.user ?? 'an operator';
      await deps.bootLogs?.release(machine, by);
      await deps.consoles.release(machine, by);
      return consoleHolding(machine, deps);
    },
  );
}
