import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { writeFileDurable } from '../shared/durable-file.ts';
import { invalid } from '../shared/errors.ts';
import { isIpv4 } from './config.ts';

export const NetworkSettings = Type.Object(
  {
    interface: Type.Optional(Type.String({ maxLength: 64, description: 'provisioning interface; empty = DHCP/TFTP off' })),
    advertiseAddress: Type.Optional(
      Type.String({ maxLength: 15, description: 'IPv4 address machines are sent to; default the provisioning interface\'s own address' }),
    ),
    dhcpMode: Type.Union([Type.Literal('full'), Type.Literal('proxy'), Type.Literal('off')]),
    range: Type.Optional(Type.Object({ start: Type.String(), end: Type.String() }, { additionalProperties: false })),
    router: Type.Optional(Type.String()),
    dns: Type.Array(Type.String(), { maxItems: 8 }),
    leaseSeconds: Type.Integer({ minimum: 60, maximum: 31536000, description: 'seconds' }),
    tftpPort: Type.Integer({ minimum: 0, maximum: 65535, description: '0 disables TFTP' }),
    httpPort: Type.Integer({ minimum: 0, maximum: 65535 }),
  },
  { additionalProperties: false },
);
export type NetworkSettings = Static<typeof NetworkSettings>;

const check = Compile(NetworkSettings);

export function validateNetworkSettings(v: unknown): NetworkSettings {
  if (!check.Check(v)) {
    const problems = [...check.Errors(v)].filter((e) => e.keyword !== 'boolean').map((e) => `${e.instancePath || '/'}: ${e.message}`);
    throw invalid(`invalid network settings: ${problems.join('; ')}`, { problems });
  }
  const s = v as NetworkSettings;
  for (const [field, ip] of [['range/start', s.range?.start], ['range/end', s.range?.end], ['router', s.router], ['advertiseAddress', s.advertiseAddress]] as const) {
    if (ip !== undefined && !isIpv4(ip)) throw invalid(`/${field}: "${ip}" is not an IPv4 address`);
  }
  s.dns.forEach((d, i) => {
    if (!isIpv4(d)) throw invalid(`/dns/${i}: "${d}" is not an IPv4 address`);
  });
  if (s.dhcpMode === 'full' && !s.range) throw invalid('/range: full DHCP needs an address range');
  return s;
}

export const SETTINGS_FILE = 'network.json';

export async function loadNetworkSettings(dataDir: string): Promise<Partial<NetworkSettings> | undefined> {
  try {
    return JSON.parse(await readFile(join(dataDir, SETTINGS_FILE), 'utf8'));
  } catch {
    return undefined;
  }
}

export async function saveNetworkSettings(dataDir: string, s: NetworkSettings): Promise<void> {
  await writeFileDurable(join(dataDir, SETTINGS_FILE), JSON.stringify(s, null, 2), 0o644);
}
