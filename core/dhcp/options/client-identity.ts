/**
 * How a client names itself: client identifier (61, RFC 2132 9.14) and the PXE client
 * options of RFC 4578 section 2: system architecture (93, 2.1), network device interface
 * (94, 2.2), UUID/GUID client identifier (97, 2.3).
 */
import { OptionError, wantLength, type OptionCodec } from './option-codec.ts';

/** Option 61: a type octet (1 = Ethernet MAC) and the identifier bytes. */
export interface ClientId {
  type: number;
  id: Uint8Array;
}

export const clientId: OptionCodec<ClientId> = {
  code: 61,
  name: 'client identifier',
  decode: (d) => (d.length < 2 ? new OptionError(`length ${d.length}, want at least 2`) : { type: d[0], id: d.slice(1) }),
  encode: (v) => Uint8Array.of(v.type, ...v.id),
};

/**
 * Option 93: one or more 16-bit architecture types (RFC 4578 2.1, IANA "Processor
 * Architecture Types"): 0 BIOS, 6 EFI IA32, 7 EFI x64 (BC), 9 EFI x64, 10 EFI ARM32,
 * 11 EFI ARM64, 15/16 HTTP IA32/x64, 18/19 HTTP ARM32/ARM64.
 */
export const clientArch: OptionCodec<number[]> = {
  code: 93,
  name: 'client system architecture',
  decode(d) {
    // One architecture (2 octets) is what every client sends; RFC 4578 allows a list.
    if (d.length === 0 || d.length % 2 !== 0) return new OptionError(`length ${d.length}, want 2`);
    const out: number[] = [];
    for (let i = 0; i < d.length; i += 2) out.push((d[i] << 8) | d[i + 1]);
    return out;
  },
  encode: (v) => Uint8Array.from(v.flatMap((a) => [(a >>> 8) & 0xff, a & 0xff])),
};

/** Option 94: interface type (1 = UNDI) and UNDI major/minor version (RFC 4578 2.2). */
export interface ClientNdi {
  type: number;
  major: number;
  minor: number;
}

export const clientNdi: OptionCodec<ClientNdi> = {
  code: 94,
  name: 'client network device interface',
  decode: (d) => wantLength(d, 3) ?? { type: d[0], major: d[1], minor: d[2] },
  encode: (v) => Uint8Array.of(v.type, v.major, v.minor),
};

/** Option 97: type 0 followed by a 16-octet UUID (RFC 4578 2.3). */
export interface ClientUuid {
  type: number;
  uuid: Uint8Array;
}

export const clientUuid: OptionCodec<ClientUuid> = {
  code: 97,
  name: 'client UUID',
  decode: (d) => wantLength(d, 17) ?? { type: d[0], uuid: d.slice(1) },
  encode: (v) => Uint8Array.of(v.type, ...v.uuid),
};

/** RFC 4122 text form of a 16-octet UUID (as stored on the wire, no byte swapping). */
export function uuidText(uuid: Uint8Array): string {
  const h = Array.from(uuid, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
