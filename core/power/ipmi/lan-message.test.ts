import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answers, checksum, consoleRequest, decodeLanMessage, encodeLanMessage } from './lan-message.ts';
import { isDecodeError } from './wire.ts';

describe('IPMI LAN message framing', () => {
  it('encodes Get Channel Authentication Capabilities with both checksums, as ipmitool sends it', () => {
    const b = encodeLanMessage(consoleRequest(0x06, 0x38, 0, Uint8Array.of(0x8e, 0x04)));
    // rsAddr 0x20, netFn 6 << 2, chk 0xc8, rqAddr 0x81, seq 0, cmd 0x38, data, chk
    expect([...b]).toEqual([0x20, 0x18, 0xc8, 0x81, 0x00, 0x38, 0x8e, 0x04, 0xb5]);
  });

  it('checksums sum to zero', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 32 }), (b) => {
      expect((b.reduce((s, x) => s + x, 0) + checksum(b)) & 0xff).toBe(0);
    }));
  });

  it('matches a response to its request by netFn + 1, command and sequence', () => {
    const req = consoleRequest(0x00, 0x01, 5, new Uint8Array(0));
    const res = { ...req, netFn: 0x01, data: Uint8Array.of(0) };
    expect(answers(res, req)).toBe(true);
    expect(answers({ ...res, sequence: 6 }, req)).toBe(false);
    expect(answers({ ...res, netFn: 0x00 }, req)).toBe(false);
  });

  it('names the checksum that does not match', () => {
    const b = encodeLanMessage(consoleRequest(0x00, 0x02, 1, Uint8Array.of(1)));
    const bad1 = b.slice();
    bad1[2] ^= 1;
    expect(decodeLanMessage(bad1)).toMatchObject({ field: 'lan.checksum1' });
    const bad2 = b.slice();
    bad2[b.length - 1] ^= 1;
    expect(decodeLanMessage(bad2)).toMatchObject({ field: 'lan.checksum2' });
    expect(decodeLanMessage(b.subarray(0, 6))).toMatchObject({ field: 'lan.length' });
  });

  it('round-trips any message and decodes any bytes without throwing', () => {
    const msg = fc.record({
      targetAddress: fc.nat(255), netFn: fc.nat(63), targetLun: fc.nat(3), sourceAddress: fc.nat(255),
      sequence: fc.nat(63), sourceLun: fc.nat(3), command: fc.nat(255), data: fc.uint8Array({ maxLength: 40 }),
    });
    fc.assert(fc.property(msg, (m) => {
      expect(decodeLanMessage(encodeLanMessage(m))).toEqual(m);
    }));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 48 }), (b) => {
      const d = decodeLanMessage(b);
      expect(isDecodeError(d) || d.data.length === b.length - 7).toBe(true);
    }));
  });
});
