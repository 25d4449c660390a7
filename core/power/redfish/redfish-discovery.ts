/**
 * Finding ComputerSystems from the service root (ServiceRoot.Systems -> collection Members)
 * and their Reset action, with the allowed values inline or through @Redfish.ActionInfo.
 */
import { PowerError } from '../driver.ts';
import type { RedfishHttp } from './redfish-http.ts';
import { field, linkOf } from './redfish-error.ts';

export interface RedfishSystemInfo {
  /** The system's Id ("437XR1138R2"). */
  id: string;
  /** Its resource path ("/redfish/v1/Systems/437XR1138R2"). */
  odataId: string;
  name?: string;
  /** PowerState as the BMC reports it ("On", "Off", ...). */
  powerState?: string;
  uuid?: string;
  serialNumber?: string;
}

const bad = (message: string) => new PowerError('redfish', 'DF_ERR_INTERNAL', message);

export async function listSystems(http: RedfishHttp): Promise<RedfishSystemInfo[]> {
  const out: RedfishSystemInfo[] = [];
  for (const path of await listSystemPaths(http)) out.push(systemInfo(path, (await http.call('GET', path)).body));
  return out;
}

/** The member paths of the Systems collection, without reading each member. */
export async function listSystemPaths(http: RedfishHttp): Promise<string[]> {
  const root = await http.serviceRoot();
  const collectionPath = linkOf(root, 'Systems');
  if (!collectionPath) throw bad('Redfish service root has no Systems link');
  const collection = (await http.call('GET', collectionPath)).body;
  const members = field(collection, 'Members');
  if (!Array.isArray(members)) throw bad(`Redfish ${collectionPath} has no Members list`);
  return members.map((m) => {
    const path = field(m, '@odata.id');
    if (typeof path !== 'string') throw bad(`Redfish ${collectionPath} has a member without @odata.id`);
    return path;
  });
}

function systemInfo(path: string, sys: unknown): RedfishSystemInfo {
  const str = (k: string) => (typeof field(sys, k) === 'string' ? (field(sys, k) as string) : undefined);
  return {
    id: str('Id') ?? path.split('/').filter(Boolean).pop() ?? path,
    odataId: str('@odata.id') ?? path,
    name: str('Name'),
    powerState: str('PowerState'),
    uuid: str('UUID'),
    serialNumber: str('SerialNumber'),
  };
}

export interface ResetAction {
  target: string;
  /** undefined when the BMC advertises no list. */
  allowed: string[] | undefined;
}

export async function resetAction(http: RedfishHttp, sys: unknown): Promise<ResetAction | undefined> {
  const action = field(field(sys, 'Actions'), '#ComputerSystem.Reset');
  const target = field(action, 'target');
  if (typeof target !== 'string') return undefined;
  const inline = stringList(field(action, 'ResetType@Redfish.AllowableValues'));
  if (inline) return { target, allowed: inline };
  const infoPath = field(action, '@Redfish.ActionInfo');
  if (typeof infoPath !== 'string') return { target, allowed: undefined };
  const info = (await http.call('GET', infoPath)).body;
  const params = field(info, 'Parameters');
  const resetType = Array.isArray(params) ? params.find((p) => field(p, 'Name') === 'ResetType') : undefined;
  return { target, allowed: stringList(field(resetType, 'AllowableValues')) };
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}
