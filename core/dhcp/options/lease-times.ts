/**
 * 32-bit second counts (RFC 2132 sections 9.2, 9.11, 9.12): lease time (51),
 * renewal time T1 (58), rebinding time T2 (59).
 */
import { wantLength, type OptionCodec } from './option-codec.ts';

function seconds(code: number, name: string): OptionCodec<number> {
  return {
    code,
    name,
    decode: (d) => wantLength(d, 4) ?? ((d[0] << 24) >>> 0) + ((d[1] << 16) | (d[2] << 8) | d[3]),
    encode: (v) => Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff),
  };
}

export const leaseSeconds = seconds(51, 'lease time');
export const renewalSeconds = seconds(58, 'renewal time');
export const rebindingSeconds = seconds(59, 'rebinding time');
