/**
 * The serial console a machine's BMC reference describes: IPMI Serial-over-LAN (native, see
 * ipmi/sol.ts), for an IPMI BMC directly and for a Redfish BMC whose manager offers its serial
 * console over IPMI (redfish/serial-console.ts). Other offers and protocols say what is missing.
 */
import type { BmcRef, Hardware } from '../model/hardware.ts';
import { DragonflyError } from '../shared/errors.ts';
import { hostPort, redfishBaseUrl } from './factory.ts';
import { listSystemPaths } from './redfish/redfish-discovery.ts';
import { RedfishHttp } from './redfish/redfish-http.ts';
import { refusalOf, serialConsoleOffer } from './redfish/serial-console.ts';
import { describeHolder, openSolConsole, querySolHolder, type SolConsole, type SolEnd, type SolHolder } from './ipmi/sol.ts';
import type { IpmiSessionOptions } from './ipmi/session.ts';
import type { Credential } from './secrets/credential-store.ts';

export type { SolEnd as ConsoleEnd, SolHolder as ConsoleHolder };
export { describeHolder };

export interface ConsoleHandlers {
  onData(bytes: Uint8Array): void;
  onEnd(end: SolEnd): void;
}

/** Opens the console of one machine; `takeOver` ends another client's console first. */
export type ConsoleOpener = (machine: string, handlers: ConsoleHandlers, takeOver: boolean) => Promise<SolConsole>;

/** The IPMI session that carries the console of this BMC (directly, or as a Redfish manager's offer). */
async function solSession(bmc: BmcRef, credential: Credential | undefined): Promise<IpmiSessionOptions> {
  if (bmc.protocol !== 'ipmi' && bmc.protocol !== 'redfish') {
    throw new DragonflyError('DF_ERR_UNAVAILABLE', `no serial console over ${bmc.protocol}: Dragonfly opens consoles over IPMI Serial-over-LAN`);
  }
  if (!credential) throw new DragonflyError('DF_ERR_INVALID', `BMC ${bmc.address} has no credential (set spec.bmc.credentialRef to a stored credential)`);
  const { host, port } = bmc.protocol === 'ipmi' ? hostPort(bmc.address, 623) : await redfishSolEndpoint(bmc, credential);
  return { host, port, username: credential.username ?? 'admin', password: credential.secret, cipherSuite: bmc.options?.cipherSuite === '17' ? 17 : 3 };
}

export async function openConsole(bmc: BmcRef, credential: Credential | undefined, handlers: ConsoleHandlers, takeOver: boolean): Promise<SolConsole> {
  return openSolConsole({ ...(await solSession(bmc, credential)), takeOver, ...handlers });
}

/**
 * A Redfish BMC's console is its IPMI SOL, when its manager offers that: the same host, port 623
 * (options.ipmiPort otherwise), the same account. Asked every time: the operator may turn it off.
 */
async function redfishSolEndpoint(bmc: BmcRef, credential: Credential): Promise<{ host: string; port: number }> {
  const baseUrl = redfishBaseUrl(bmc);
  const http = new RedfishHttp({ baseUrl, username: credential.username ?? 'admin', password: credential.secret, fingerprint: credential.fingerprint, auth: bmc.options?.auth === 'basic' ? 'basic' : 'session' });
  try {
    const refusal = refusalOf(await serialConsoleOffer(http, await systemPathOf(http, bmc.options?.system)), bmc.address);
    if (refusal) throw new DragonflyError('DF_ERR_UNAVAILABLE', refusal);
  } finally {
    await http.close();
  }
  const port = bmc.options?.ipmiPort ? Number(bmc.options.ipmiPort) : 623;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new DragonflyError('DF_ERR_INVALID', `BMC ${bmc.address}: options.ipmiPort "${bmc.options?.ipmiPort}" is not a port`);
  return { host: new URL(baseUrl).hostname.replace(/^\[|\]$/g, ''), port };
}

/** The system's resource path: options.system as a path or an Id, else the only system. */
async function systemPathOf(http: RedfishHttp, system: string | undefined): Promise<string | undefined> {
  if (system?.startsWith('/')) return system;
  const paths = await listSystemPaths(http);
  if (!system) return paths.length === 1 ? paths[0] : undefined;
  return paths.find((p) => p.replace(/\/$/, '').split('/').pop() === system);
}

/** Opens `hw`'s console from its BMC reference; `credentialOf` decrypts a stored credential. */
export function openMachineConsole(
  hw: Hardware, credentialOf: (ref: string) => Credential | undefined, handlers: ConsoleHandlers, takeOver: boolean,
): Promise<SolConsole> {
  const { bmc, credential } = bmcOf(hw, credentialOf);
  return openConsole(bmc, credential, handlers, takeOver);
}

/** Who holds `hw`'s console on its BMC (undefined: nobody), asked without taking it. */
export async function machineConsoleHolder(hw: Hardware, credentialOf: (ref: string) => Credential | undefined): Promise<SolHolder | undefined> {
  const { bmc, credential } = bmcOf(hw, credentialOf);
  return querySolHolder(await solSession(bmc, credential));
}

function bmcOf(hw: Hardware, credentialOf: (ref: string) => Credential | undefined): { bmc: BmcRef; credential?: Credential } {
  const name = hw.metadata.name;
  const bmc = hw.spec.bmc;
  if (!bmc) throw new DragonflyError('DF_ERR_UNAVAILABLE', `${name} has no BMC configured (spec.bmc), so no serial console`);
  const ref = bmc.credentialRef;
  const credential = ref ? credentialOf(ref) : undefined;
  if (ref && !credential) throw new DragonflyError('DF_ERR_INVALID', `credential "${ref}" of ${name} does not exist`);
  return { bmc, credential };
}
