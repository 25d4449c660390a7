import { describe, expect, it } from 'vitest';
import { userClass, userClassNames } from './user-class.ts';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('user class (RFC 3004 and the iPXE plain string)', () => {
  it('reads iPXE\'s plain "iPXE"', () => {
    const v = userClass.decode(ascii('iPXE'));
    expect(v).toEqual({ format: 'plain', text: 'iPXE' });
    expect(userClassNames(v as never)).toEqual(['iPXE']);
  });
  it('reads an RFC 3004 list of two classes', () => {
    const v = userClass.decode(Uint8Array.of(4, ...ascii('iPXE'), 3, ...ascii('lab')));
    expect(v).toEqual({ format: 'rfc3004', classes: ['iPXE', 'lab'] });
  });
  it('re-encodes each form to the octets it came from', () => {
    for (const bytes of [ascii('iPXE'), Uint8Array.of(4, ...ascii('iPXE'))]) {
      expect(Array.from(userClass.encode(userClass.decode(bytes) as never))).toEqual(Array.from(bytes));
    }
  });
});
