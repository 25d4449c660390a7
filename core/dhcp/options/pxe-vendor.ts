/**
 * Vendor-specific information (43) as PXE defines it for vendor class "PXEClient"
 * (PXE 2.1 specification, section 2.4 "DHCP options"; RFC 4578 section 3 points there):
 * 6 discovery control, 8 boot servers, 9 boot menu, 10 menu prompt, 71 boot item.
 * Option 43 of other vendors need not be TLV at all; anything that does not parse as PXE
 * sub-options is kept raw, so decoding 43 never fails.
 */
import { ipFromBytes, ipToBytes } from '../ipv4.ts';
import { latin1, latin1Bytes, OptionError, joinSubOptions, splitSubOptions, type OptionCodec, type SubOption } from './option-codec.ts';

/** Discovery control bits (PXE 2.1 table 2-1). */
export const DiscoveryControl = {
  DISABLE_BROADCAST: 1,
  DISABLE_MULTICAST: 2,
  ONLY_LISTED_SERVERS: 4,
  /** Boot file name present in this offer: download it, skip boot server discovery. */
  USE_BOOTFILE: 8,
} as const;

export interface PxeBootServer {
  type: number;
  ips: string[];
}
export interface PxeMenuItem {
  type: number;
  description: string;
}

export type PxeSubOption =
  | { kind: 'discovery-control'; value: number }
  | { kind: 'boot-servers'; servers: PxeBootServer[] }
  | { kind: 'boot-menu'; items: PxeMenuItem[] }
  | { kind: 'menu-prompt'; timeout: number; prompt: string }
  | { kind: 'boot-item'; type: number; layer: number }
  | { kind: 'raw'; code: number; data: Uint8Array };

export type VendorSpecific = { format: 'pxe'; items: PxeSubOption[]; ended: boolean } | { format: 'raw'; data: Uint8Array };

function bootServers(d: Uint8Array): PxeBootServer[] | undefined {
  const out: PxeBootServer[] = [];
  let i = 0;
  while (i < d.length) {
    if (i + 3 > d.length) return undefined;
    const count = d[i + 2];
    if (i + 3 + 4 * count > d.length) return undefined;
    const ips = Array.from({ length: count }, (_, k) => ipFromBytes(d, i + 3 + 4 * k));
    out.push({ type: (d[i] << 8) | d[i + 1], ips });
    i += 3 + 4 * count;
  }
  return out;
}

function bootMenu(d: Uint8Array): PxeMenuItem[] | undefined {
  const out: PxeMenuItem[] = [];
  let i = 0;
  while (i < d.length) {
    if (i + 3 > d.length || i + 3 + d[i + 2] > d.length) return undefined;
    out.push({ type: (d[i] << 8) | d[i + 1], description: latin1(d.subarray(i + 3, i + 3 + d[i + 2])) });
    i += 3 + d[i + 2];
  }
  return out;
}

function typed(s: SubOption): PxeSubOption | undefined {
  const d = s.data;
  switch (s.code) {
    case 6:
      return d.length === 1 ? { kind: 'discovery-control', value: d[0] } : undefined;
    case 8: {
      const servers = bootServers(d);
      return servers && { kind: 'boot-servers', servers };
    }
    case 9: {
      const items = bootMenu(d);
      return items && { kind: 'boot-menu', items };
    }
    case 10:
      return d.length >= 1 ? { kind: 'menu-prompt', timeout: d[0], prompt: latin1(d.subarray(1)) } : undefined;
    case 71:
      return d.length === 4 ? { kind: 'boot-item', type: (d[0] << 8) | d[1], layer: (d[2] << 8) | d[3] } : undefined;
    default:
      return { kind: 'raw', code: s.code, data: d };
  }
}

function subOptionBytes(s: PxeSubOption): SubOption {
  switch (s.kind) {
    case 'discovery-control':
      return { code: 6, data: Uint8Array.of(s.value) };
    case 'boot-servers':
      return { code: 8, data: Uint8Array.from(s.servers.flatMap((b) => [b.type >>> 8, b.type & 0xff, b.ips.length, ...b.ips.flatMap((ip) => [...ipToBytes(ip)])])) };
    case 'boot-menu':
      return { code: 9, data: Uint8Array.from(s.items.flatMap((m) => [m.type >>> 8, m.type & 0xff, m.description.length, ...latin1Bytes(m.description)])) };
    case 'menu-prompt':
      return { code: 10, data: Uint8Array.of(s.timeout, ...latin1Bytes(s.prompt)) };
    case 'boot-item':
      return { code: 71, data: Uint8Array.of(s.type >>> 8, s.type & 0xff, s.layer >>> 8, s.layer & 0xff) };
    case 'raw':
      return { code: s.code, data: s.data };
  }
}

export const vendorSpecific: OptionCodec<VendorSpecific> = {
  code: 43,
  name: 'vendor-specific information',
  decode(d) {
    const split = splitSubOptions(d);
    if (split instanceof OptionError) return { format: 'raw', data: d };
    const items = split.items.map(typed);
    if (items.some((x) => x === undefined)) return { format: 'raw', data: d };
    return { format: 'pxe', items: items as PxeSubOption[], ended: split.ended };
  },
  encode: (v) => (v.format === 'raw' ? v.data : joinSubOptions(v.items.map(subOptionBytes), v.ended)),
};

/** Looks up one PXE sub-option by kind. */
export function pxeSubOption<K extends PxeSubOption['kind']>(v: VendorSpecific | undefined, kind: K): Extract<PxeSubOption, { kind: K }> | undefined {
  if (!v || v.format !== 'pxe') return undefined;
  return v.items.find((s) => s.kind === kind) as Extract<PxeSubOption, { kind: K }> | undefined;
}
