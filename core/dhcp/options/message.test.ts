import { describe, expect, it } from 'vitest';
import { maxMessageSize, messageType, messageTypeName, overload, parameterRequestList } from './message.ts';
import { OptionError } from './option-codec.ts';

describe('protocol options (RFC 2132 section 9)', () => {
  it('decodes message type and names it', () => {
    expect(messageType.decode(Uint8Array.of(3))).toBe(3);
    expect(messageTypeName(3)).toBe('REQUEST');
  });
  it('rejects a message type of two octets or of value 0', () => {
    expect((messageType.decode(Uint8Array.of(1, 2)) as OptionError).detail).toBe('length 2, want 1');
    expect((messageType.decode(Uint8Array.of(0)) as OptionError).detail).toBe('value 0, want 1..255');
  });
  it('decodes overload 1..3 only', () => {
    expect(overload.decode(Uint8Array.of(3))).toBe(3);
    expect(overload.decode(Uint8Array.of(4))).toBeInstanceOf(OptionError);
  });
  it('round-trips the parameter request list and max message size', () => {
    expect(parameterRequestList.decode(Uint8Array.of(1, 3, 6, 67))).toEqual([1, 3, 6, 67]);
    expect(Array.from(maxMessageSize.encode(1260))).toEqual([4, 236]);
  });
});
