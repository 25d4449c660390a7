import { describe, expect, it } from 'vitest';
import { pxeSubOption, vendorSpecific, type VendorSpecific } from './pxe-vendor.ts';

describe('PXE vendor options in 43 (PXE 2.1 section 2.4)', () => {
  const bytes = Uint8Array.of(6, 1, 3, 8, 7, 0x80, 0, 1, 10, 0, 0, 1, 9, 5, 0x80, 0, 2, 0x44, 0x46, 10, 3, 0, 0x44, 0x46, 71, 4, 0x80, 0, 0, 0, 255);

  it('decodes discovery control, boot servers, menu, prompt and boot item', () => {
    const v = vendorSpecific.decode(bytes) as VendorSpecific;
    expect(pxeSubOption(v, 'discovery-control')?.value).toBe(3);
    expect(pxeSubOption(v, 'boot-servers')?.servers).toEqual([{ type: 0x8000, ips: ['10.0.0.1'] }]);
    expect(pxeSubOption(v, 'boot-menu')?.items).toEqual([{ type: 0x8000, description: 'DF' }]);
    expect(pxeSubOption(v, 'menu-prompt')).toMatchObject({ timeout: 0, prompt: 'DF' });
    expect(pxeSubOption(v, 'boot-item')).toMatchObject({ type: 0x8000, layer: 0 });
  });

  it('re-encodes to the same octets', () => {
    expect(Array.from(vendorSpecific.encode(vendorSpecific.decode(bytes) as VendorSpecific))).toEqual(Array.from(bytes));
  });

  it('keeps a non-PXE vendor payload raw instead of failing', () => {
    const odd = Uint8Array.of(6, 9, 1);
    expect(vendorSpecific.decode(odd)).toEqual({ format: 'raw', data: odd });
  });
});
