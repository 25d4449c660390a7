/**
 * DHCP protocol control options (RFC 2132 section 9): overload (52, 9.3), message type
 * (53, 9.6), parameter request list (55, 9.8), maximum message size (57, 9.10).
 */
import { OptionError, wantLength, type OptionCodec } from './option-codec.ts';

export const MessageType = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;
export type MessageTypeName = keyof typeof MessageType;

export function messageTypeName(t: number | undefined): string {
  const hit = Object.entries(MessageType).find(([, v]) => v === t);
  return hit ? hit[0] : `type-${t}`;
}

export const messageType: OptionCodec<number> = {
  code: 53,
  name: 'message type',
  decode: (d) => wantLength(d, 1) ?? (d[0] === 0 ? new OptionError('value 0, want 1..255') : d[0]),
  encode: (v) => Uint8Array.of(v),
};

/** Option overload (RFC 2132 9.3): 1 = file holds options, 2 = sname, 3 = both. */
export const overload: OptionCodec<number> = {
  code: 52,
  name: 'option overload',
  decode: (d) => wantLength(d, 1) ?? (d[0] >= 1 && d[0] <= 3 ? d[0] : new OptionError(`value ${d[0]}, want 1..3`)),
  encode: (v) => Uint8Array.of(v),
};

export const parameterRequestList: OptionCodec<number[]> = {
  code: 55,
  name: 'parameter request list',
  decode: (d) => Array.from(d),
  encode: (v) => Uint8Array.from(v),
};

export const maxMessageSize: OptionCodec<number> = {
  code: 57,
  name: 'maximum message size',
  decode: (d) => wantLength(d, 2) ?? (d[0] << 8) | d[1],
  encode: (v) => Uint8Array.of((v >>> 8) & 0xff, v & 0xff),
};
