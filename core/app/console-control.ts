import type { Hardware } from '../model/hardware.ts';
import { openMachineConsole, type ConsoleOpener } from '../power/console.ts';
import type { CredentialStore } from '../power/secrets/credential-store.ts';
import type { Store } from '../store/store.ts';

/** Opens a machine's console from its BMC reference and its decrypted credential. */
export function consoleOpener(store: Store, credentials: CredentialStore): ConsoleOpener {
  return async (machine, handlers, takeOver) =>
    openMachineConsole(await store.get<Hardware>('Hardware', machine), (ref) => credentials.get(ref), handlers, takeOver);
}
