/**
 * The serial console a machine's BMC reference describes: IPMI Serial-over-LAN (native, see
 * ipmi/sol.ts). Other protocols have no console here yet and say so.
 */
import type { BmcRef, Hardware } from '../model/hardware.ts';
import { DragonflyError } from '../shared/errors.ts';
import { hostPort } from './factory.ts';
import { describeHolder, openSolConsole, type SolConsole, type SolEnd, type SolHolder } from './ipmi/sol.ts';
import type { Credential } from './secrets/credential-store.ts';

export type { SolEnd as ConsoleEnd, SolHolder as ConsoleHolder };
export { describeHolder };

export interface ConsoleHandlers {
  onData(bytes: Uint8Array): void;
  onEnd(end: SolEnd): void;
}

/** Opens the console of one machine; `takeOver` ends another client's console first. */
export type ConsoleOpener = (machine: string, handlers: ConsoleHandlers, takeOver: boolean) => Promise<SolConsole>;

export function openConsole(bmc: BmcRef, credential: Credential | undefined, handlers: ConsoleHandlers, takeOver: boolean): Promise<SolConsole> {
  if (bmc.protocol !== 'ipmi') {
    throw new DragonflyError('DF_ERR_UNAVAILABLE', `no serial console over ${bmc.protocol}: Dragonfly opens consoles over IPMI Serial-over-LAN`);
  }
  if (!credential) throw new DragonflyError('DF_ERR_INVALID', `BMC ${bmc.address} has no credential (set spec.bmc.credentialRef to a stored credential)`);
  const { host, port } = hostPort(bmc.address, 623);
  return openSolConsole({
    host, port, username: credential.username ?? 'admin', password: credential.secret,
    cipherSuite: bmc.options?.cipherSuite === '17' ? 17 : 3, takeOver, ...handlers,
  });
}

/** Opens `hw`'s console from its BMC reference; `credentialOf` decrypts a stored credential. */
export function openMachineConsole(
  hw: Hardware, credentialOf: (ref: string) => Credential | undefined, handlers: ConsoleHandlers, takeOver: boolean,
): Promise<SolConsole> {
  const name = hw.metadata.name;
  const bmc = hw.spec.bmc;
  if (!bmc) throw new DragonflyError('DF_ERR_UNAVAILABLE', `${name} has no BMC configured (spec.bmc), so no serial console`);
  const ref = bmc.credentialRef;
  const credential = ref ? credentialOf(ref) : undefined;
  if (ref && !credential) throw new DragonflyError('DF_ERR_INVALID', `credential "${ref}" of ${name} does not exist`);
  return openConsole(bmc, credential, handlers, takeOver);
}
