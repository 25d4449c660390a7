import { describe, expect, it } from 'vitest';
import { bootfileName, hostName } from './text.ts';

describe('text options (RFC 2132 3.14, 9.5)', () => {
  it('decodes ASCII text', () => {
    expect(bootfileName.decode(new TextEncoder().encode('undionly.kpxe'))).toBe('undionly.kpxe');
  });
  it('round-trips every octet value exactly, including non-ASCII', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(Array.from(hostName.encode(hostName.decode(all) as string))).toEqual(Array.from(all));
  });
});
