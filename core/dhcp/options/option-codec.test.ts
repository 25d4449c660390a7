import { describe, expect, it } from 'vitest';
import { joinSubOptions, OptionError, splitSubOptions, type SubOption } from './option-codec.ts';

describe('sub-option TLVs', () => {
  it('splits and joins with and without END', () => {
    const bytes = Uint8Array.of(1, 1, 9, 2, 0, 255);
    const s = splitSubOptions(bytes);
    expect(s).toEqual({ items: [{ code: 1, data: Uint8Array.of(9) }, { code: 2, data: new Uint8Array(0) }], ended: true });
    expect(Array.from(joinSubOptions((s as { items: SubOption[] }).items, true))).toEqual(Array.from(bytes));
  });
  it('refuses data after END and a missing length', () => {
    expect(splitSubOptions(Uint8Array.of(255, 1))).toBeInstanceOf(OptionError);
    expect((splitSubOptions(Uint8Array.of(7)) as OptionError).detail).toBe('sub-option 7 has no length');
  });
});
