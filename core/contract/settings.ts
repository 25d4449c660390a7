/**
 * Network settings as they cross the UI ↔ API boundary (GET/PUT /api/v1/settings/network)
 * and as they are saved: one schema for the API's validation, the control plane and the UI.
 */
import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { invalid } from '../shared/errors.ts';
import { isIpv4 } from '../shared/ipv4.ts';
import { dhcpModes, type DhcpMode as SharedDhcpMode } from '../shared/dhcp-mode.ts';

/** full: addresses + boot; proxy: boot information only, beside another DHCP server; off (core/shared/dhcp-mode.ts). */
export const DhcpMode = Type.Enum(dhcpModes);
export type DhcpMode = SharedDhcpMode;
export { dhcpModes };

/** Rack fan-out (docs/FANOUT.md): on (the default when absent), agents feed each other; off, each downloads the whole image from here. */
export const FanoutMode = Type.Union([Type.Literal('on'), Type.Literal('off')]);
export type FanoutMode = Static<typeof FanoutMode>;

export const NetworkSettings = Type.Object(
  {
    interface: Type.Optional(Type.String({ maxLength: 64, description: 'provisioning interface; empty = DHCP/TFTP off' })),
    advertiseAddress: Type.Optional(
      Type.String({ maxLength: 15, description: 'IPv4 address machines are sent to; default the provisioning interface\'s own address' }),
    ),
    dhcpMode: DhcpMode,
    range: Type.Optional(Type.Object({ start: Type.String(), end: Type.String() }, { additionalProperties: false })),
    router: Type.Optional(Type.String()),
    dns: Type.Array(Type.String(), { maxItems: 8 }),
    leaseSeconds: Type.Integer({ minimum: 60, maximum: 31536000, description: 'seconds' }),
    tftpPort: Type.Integer({ minimum: 0, maximum: 65535, description: '0 disables TFTP' }),
    httpPort: Type.Integer({ minimum: 0, maximum: 65535 }),
    fanout: Type.Optional(FanoutMode),
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
