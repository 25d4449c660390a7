import { describe, expect, it } from 'vitest';
import { ipxeOptions, type IpxeOptions } from './ipxe.ts';

describe('iPXE encapsulated options (175)', () => {
  it('decodes the feature flags iPXE sends and keeps the END marker', () => {
    // 19 = HTTP supported, 24 = EFI, 255 END.
    const bytes = Uint8Array.of(19, 1, 1, 24, 1, 1, 255);
    const v = ipxeOptions.decode(bytes) as IpxeOptions;
    expect(v.subOptions.map((s) => s.code)).toEqual([19, 24]);
    expect(v.ended).toBe(true);
    expect(Array.from(ipxeOptions.encode(v))).toEqual(Array.from(bytes));
  });
});
