import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeTftp, encodeTftp, isDecodeError, type TftpPacket } from './codec.ts';

const bytes = (...xs: number[]) => Uint8Array.from(xs);
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('decodeTftp', () => {
  it('decodes the read request OVMF sends (tsize 0, blksize 1468, windowsize 4)', () => {
    const wire = ascii('\0\x01ipxe.efi\0octet\0tsize\x000\0blksize\x001468\0windowsize\x004\0');
    expect(decodeTftp(wire)).toEqual({
      op: 'rrq',
      filename: 'ipxe.efi',
      mode: 'octet',
      options: [
        { name: 'tsize', value: '0' },
        { name: 'blksize', value: '1468' },
        { name: 'windowsize', value: '4' },
      ],
    });
  });

  it('ends the option list at zero padding', () => {
    const wire = ascii('\0\x01f\0octet\0blksize\x00512\0\0\0\0');
    expect(decodeTftp(wire)).toMatchObject({ op: 'rrq', options: [{ name: 'blksize', value: '512' }] });
  });

  it('decodes DATA, ACK, ERROR and OACK', () => {
    expect(decodeTftp(bytes(0, 3, 0xff, 0xff, 1, 2))).toEqual({ op: 'data', block: 65535, data: bytes(1, 2) });
    expect(decodeTftp(bytes(0, 4, 0, 0))).toEqual({ op: 'ack', block: 0 });
    expect(decodeTftp(ascii('\0\x05\0\x08size probe\0'))).toEqual({ op: 'error', code: 8, message: 'size probe' });
    expect(decodeTftp(ascii('\0\x06tsize\x00850528\0'))).toEqual({
      op: 'oack',
      options: [{ name: 'tsize', value: '850528' }],
    });
  });

  it.each([
    [bytes(1), 'opcode'],
    [bytes(), 'opcode'],
    [bytes(0, 9), 'opcode'],
    [ascii('\0\x01noterminator'), 'filename'],
    [ascii('\0\x01file\0octet'), 'mode'],
    [ascii('\0\x01file\0octet\0blksize'), 'option name'],
    [ascii('\0\x01file\0octet\0blksize\x00512'), 'option value'],
    [bytes(0, 4, 1), 'ack block number'],
    [bytes(0, 3), 'data block number'],
    [bytes(0, 5, 0), 'error code'],
  ])('names the field of a malformed packet %#', (wire, field) => {
    const got = decodeTftp(wire);
    expect(isDecodeError(got) && got.field).toBe(field);
  });

  it('never throws on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (wire) => {
        const got = decodeTftp(wire);
        expect(typeof got).toBe('object');
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary bytes after a valid opcode (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 100 }), (op, rest) => {
        const wire = new Uint8Array(2 + rest.length);
        wire[1] = op;
        wire.set(rest, 2);
        expect(typeof decodeTftp(wire)).toBe('object');
      }),
      { numRuns: 2000 },
    );
  });
});

const text = fc.string({ unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 20 });
const nonEmpty = text.filter((s) => s.length > 0);
const options = fc.array(fc.record({ name: nonEmpty, value: text }), { maxLength: 5 });
const packet: fc.Arbitrary<TftpPacket> = fc.oneof(
  fc.record({ op: fc.constantFrom('rrq' as const, 'wrq' as const), filename: text, mode: text, options }),
  fc.record({ op: fc.constant('data' as const), block: fc.integer({ min: 0, max: 65535 }), data: fc.uint8Array({ maxLength: 1468 }) }),
  fc.record({ op: fc.constant('ack' as const), block: fc.integer({ min: 0, max: 65535 }) }),
  fc.record({ op: fc.constant('error' as const), code: fc.integer({ min: 0, max: 65535 }), message: text }),
  fc.record({ op: fc.constant('oack' as const), options }),
);

describe('encodeTftp', () => {
  it('round-trips generated packets (property)', () => {
    fc.assert(
      fc.property(packet, (p) => {
        const wire = encodeTftp(p);
        expect(decodeTftp(wire)).toEqual(p);
        expect(encodeTftp(decodeTftp(wire) as TftpPacket)).toEqual(wire);
      }),
      { numRuns: 1000 },
    );
  });

  it('encodes block numbers modulo 65536', () => {
    expect(encodeTftp({ op: 'ack', block: 65536 + 7 })).toEqual(bytes(0, 4, 0, 7));
    expect(encodeTftp({ op: 'data', block: 65536, data: bytes(9) })).toEqual(bytes(0, 3, 0, 0, 9));
  });

  it('encodes the OACK for a size probe byte for byte', () => {
    const wire = encodeTftp({ op: 'oack', options: [{ name: 'tsize', value: '850528' }, { name: 'blksize', value: '1468' }] });
    expect(wire).toEqual(ascii('\0\x06tsize\x00850528\0blksize\x001468\0'));
  });
});
