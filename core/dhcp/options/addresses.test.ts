import { describe, expect, it } from 'vitest';
import { routers, serverId, subnetMask } from './addresses.ts';
import { OptionError } from './option-codec.ts';

describe('address options (RFC 2132 3.3, 3.5, 9.7)', () => {
  it('decodes a subnet mask and a router list', () => {
    expect(subnetMask.decode(Uint8Array.of(255, 255, 255, 0))).toBe('255.255.255.0');
    expect(routers.decode(Uint8Array.of(10, 0, 0, 1, 10, 0, 0, 2))).toEqual(['10.0.0.1', '10.0.0.2']);
  });
  it('encodes a list back to the same octets', () => {
    expect(Array.from(routers.encode(['10.0.0.1', '10.0.0.2']))).toEqual([10, 0, 0, 1, 10, 0, 0, 2]);
  });
  it('names the length problem for a server id of 3 octets and a list of 6', () => {
    expect((serverId.decode(Uint8Array.of(1, 2, 3)) as OptionError).detail).toBe('length 3, want 4');
    expect((routers.decode(new Uint8Array(6)) as OptionError).detail).toBe('length 6, want a non-zero multiple of 4');
  });
});
