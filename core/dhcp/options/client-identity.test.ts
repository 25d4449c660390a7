import { describe, expect, it } from 'vitest';
import { clientArch, clientId, clientNdi, clientUuid, uuidText } from './client-identity.ts';
import { OptionError } from './option-codec.ts';

describe('client identity options (RFC 2132 9.14, RFC 4578 section 2)', () => {
  it('decodes architecture 7 (EFI x64) and a list', () => {
    expect(clientArch.decode(Uint8Array.of(0, 7))).toEqual([7]);
    expect(clientArch.decode(Uint8Array.of(0, 7, 0, 16))).toEqual([7, 16]);
  });
  it('rejects an odd architecture length naming it', () => {
    expect((clientArch.decode(Uint8Array.of(0, 0, 7)) as OptionError).detail).toBe('length 3, want 2');
  });
  it('decodes the NDI and the UUID', () => {
    expect(clientNdi.decode(Uint8Array.of(1, 3, 16))).toEqual({ type: 1, major: 3, minor: 16 });
    const u = clientUuid.decode(Uint8Array.of(0, ...Array.from({ length: 16 }, (_, i) => i)));
    expect(u).not.toBeInstanceOf(OptionError);
    expect(uuidText((u as { uuid: Uint8Array }).uuid)).toBe('00010203-0405-0607-0809-0a0b0c0d0e0f');
    expect((clientUuid.decode(new Uint8Array(16)) as OptionError).detail).toBe('length 16, want 17');
  });
  it('round-trips a client identifier of type 1 (MAC)', () => {
    const bytes = Uint8Array.of(1, 0x52, 0x54, 0, 1, 2, 3);
    expect(Array.from(clientId.encode(clientId.decode(bytes) as never))).toEqual(Array.from(bytes));
  });
});
