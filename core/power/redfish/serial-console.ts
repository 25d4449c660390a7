/**
 * Where a Redfish BMC offers the machine's serial console. Redfish itself carries no console
 * stream: a Manager's SerialConsole (DSP2046 Manager schema) says whether the service is on
 * and over what it connects (IPMI, SSH, Telnet, Oem). Dragonfly speaks IPMI Serial-over-LAN
 * natively, so a BMC that offers IPMI is reached there; any other offer is named in the error.
 */
import { PowerError } from '../driver.ts';
import { field, linkOf } from './redfish-error.ts';
import type { RedfishHttp } from './redfish-http.ts';

export interface SerialConsoleOffer {
  /** The manager that answered ("/redfish/v1/Managers/BMC"). */
  manager: string;
  enabled: boolean;
  /** ConnectTypesSupported as the BMC lists it ("IPMI", "SSH", "Telnet", "Oem"). */
  connectTypes: string[];
  maxSessions?: number;
}

const bad = (message: string) => new PowerError('redfish', 'DF_ERR_UNAVAILABLE', message);

/** The serial console of the manager that manages `systemPath` (Links.ManagedBy), else of the first manager. */
export async function serialConsoleOffer(http: RedfishHttp, systemPath?: string): Promise<SerialConsoleOffer> {
  const manager = (systemPath && (await managedBy(http, systemPath))) ?? (await firstManager(http));
  const body = (await http.call('GET', manager)).body;
  const sc = field(body, 'SerialConsole');
  if (!sc || typeof sc !== 'object') throw bad(`Redfish ${manager} describes no SerialConsole`);
  const types = field(sc, 'ConnectTypesSupported');
  const max = field(sc, 'MaxConcurrentSessions');
  return {
    manager,
    enabled: field(sc, 'ServiceEnabled') !== false,
    connectTypes: Array.isArray(types) ? types.filter((t): t is string => typeof t === 'string') : [],
    ...(typeof max === 'number' ? { maxSessions: max } : {}),
  };
}

/** Why this offer cannot be used for an IPMI SOL console, or undefined when it can. */
export function refusalOf(offer: SerialConsoleOffer, bmc: string): string | undefined {
  if (!offer.enabled) return `BMC ${bmc} has its serial console service turned off (${offer.manager} SerialConsole.ServiceEnabled is false)`;
  if (offer.connectTypes.includes('IPMI')) return undefined;
  const over = offer.connectTypes.length ? offer.connectTypes.join(', ') : 'no connection type it names';
  return `BMC ${bmc} offers its serial console over ${over}; Dragonfly opens consoles over IPMI Serial-over-LAN`;
}

async function managedBy(http: RedfishHttp, systemPath: string): Promise<string | undefined> {
  const links = field((await http.call('GET', systemPath)).body, 'Links');
  const list = field(links, 'ManagedBy');
  const first = Array.isArray(list) ? field(list[0], '@odata.id') : undefined;
  return typeof first === 'string' ? first : undefined;
}

async function firstManager(http: RedfishHttp): Promise<string> {
  const path = linkOf(await http.serviceRoot(), 'Managers');
  if (!path) throw bad('Redfish service root has no Managers link');
  const members = field((await http.call('GET', path)).body, 'Members');
  const first = Array.isArray(members) ? field(members[0], '@odata.id') : undefined;
  if (typeof first !== 'string') throw bad(`Redfish ${path} lists no manager`);
  return first;
}
