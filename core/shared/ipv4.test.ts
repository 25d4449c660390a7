import { describe, expect, it } from 'vitest';
import { isIpv4 } from './ipv4.ts';

describe('isIpv4 (the one IPv4 check)', () => {
  it.each(['0.0.0.0', '10.77.0.1', '192.168.1.255', '255.255.255.255'])('accepts %s', (s) => expect(isIpv4(s)).toBe(true));
  it.each(['01.2.3.4', '1.2.3.04', '256.0.0.1', '1.2.3', '1.2.3.4.5', ' 1.2.3.4', '1.2.3.4 ', '1..2.3', 'a.b.c.d', '', '1.2.3.-4'])('refuses %j', (s) => expect(isIpv4(s)).toBe(false));
});
