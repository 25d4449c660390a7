import { describe, expect, it } from 'vitest';
import { leaseSeconds } from './lease-times.ts';
import { OptionError } from './option-codec.ts';

describe('lease time options (RFC 2132 9.2, 9.11, 9.12)', () => {
  it('decodes 3600 and the infinite lease 0xffffffff', () => {
    expect(leaseSeconds.decode(Uint8Array.of(0, 0, 0x0e, 0x10))).toBe(3600);
    expect(leaseSeconds.decode(Uint8Array.of(255, 255, 255, 255))).toBe(0xffffffff);
  });
  it('encodes big values without sign trouble', () => {
    expect(Array.from(leaseSeconds.encode(0xfffffffe))).toEqual([255, 255, 255, 254]);
  });
  it('rejects a 2-octet lease time', () => {
    expect((leaseSeconds.decode(Uint8Array.of(0, 1)) as OptionError).detail).toBe('length 2, want 4');
  });
});
