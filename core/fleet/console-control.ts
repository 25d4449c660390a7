import type { Hardware } from '../model/hardware.ts';
import { machineConsoleHolder, openMachineConsole, type ConsoleHolder, type ConsoleOpener } from '../power/console.ts';
import type { SecretStore } from '../power/secrets/secret-store.ts';
import type { Store, Unwatch } from '../store/store.ts';
import type { BootConsoleLogs } from '../power/boot-console-log.ts';

/** Opens a machine's console from its BMC reference and its decrypted credential. */
export function consoleOpener(store: Store, credentials: SecretStore): ConsoleOpener {
  return async (machine, handlers, takeOver) =>
    openMachineConsole(await store.get<Hardware>('Hardware', machine), (ref) => credentials.get(ref), handlers, takeOver);
}

/** Asks a machine's BMC who holds its console, with its decrypted credential. */
export function consoleHolderOf(store: Store, credentials: SecretStore): (machine: string) => Promise<ConsoleHolder | undefined> {
  return async (machine) => machineConsoleHolder(await store.get<Hardware>('Hardware', machine), (ref) => credentials.get(ref));
}

/** Machines being provisioned: power-cycled into PXE (Assigned) or running the agent. */
const RECORDED_STATES = new Set(['Assigned', 'Provisioning']);

/** Keeps boot console logs in step with machine states: record while provisioning, per workflow. */
export async function recordProvisioningConsoles(store: Store, logs: BootConsoleLogs): Promise<Unwatch> {
  const track = (hw: Hardware, deleted = false) =>
    logs.track(hw.metadata.name, !deleted && RECORDED_STATES.has(hw.status?.state ?? ''), hw.status?.currentWorkflow);
  const { items } = await store.list<Hardware>('Hardware');
  items.forEach((hw) => track(hw));
  return store.watch({ kind: 'Hardware' }, (e) => track(e.object as Hardware, e.type === 'DELETED'));
}
