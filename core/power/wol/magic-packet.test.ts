import fc from 'fast-check';
import type { NetworkInterfaceInfo } from 'node:os';
import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { interfaceBroadcast, subnetBroadcast } from './broadcast.ts';
import { magicPacket, parseSecureOnPassword } from './magic-packet.ts';
import { WolDriver } from './wol-driver.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('magicPacket', () => {
  it('is 6 x 0xFF then the MAC 16 times', () => {
    const p = magicPacket('52:54:00:AB:CD:EF');
    expect(p.length).toBe(102);
    expect(hex(p)).toBe('ffffffffffff' + '525400abcdef'.repeat(16));
  });

  it('appends a 4- or 6-byte SecureOn password', () => {
    expect(hex(magicPacket('52:54:00:ab:cd:ef', Uint8Array.of(1, 2, 3, 4))).slice(-8)).toBe('01020304');
    expect(magicPacket('52:54:00:ab:cd:ef', Uint8Array.of(1, 2, 3, 4, 5, 6)).length).toBe(108);
    expect(() => magicPacket('52:54:00:ab:cd:ef', Uint8Array.of(1, 2, 3))).toThrow(/3 bytes, want 4 or 6/);
  });

  it('carries any MAC sixteen times after the sync stream', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (mac) => {
        const text = Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('-');
        const p = magicPacket(text);
        for (let i = 0; i < 16; i++) expect(Array.from(p.subarray(6 + i * 6, 12 + i * 6))).toEqual(Array.from(mac));
      }),
    );
  });

  it('parses SecureOn passwords in ether-wake forms', () => {
    expect(Array.from(parseSecureOnPassword('00:11:22:33:44:55'))).toEqual([0, 0x11, 0x22, 0x33, 0x44, 0x55]);
    expect(Array.from(parseSecureOnPassword('de:ad:be:ef'))).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect(Array.from(parseSecureOnPassword('192.168.1.254'))).toEqual([192, 168, 1, 254]);
    expect(() => parseSecureOnPassword('1.2.3.300')).toThrow(/above 255/);
    expect(() => parseSecureOnPassword('abc')).toThrow(/want 4 or 6 hex octets/);
  });
});

describe('subnet-directed broadcast', () => {
  it.each([
    ['10.88.0.1', '255.255.255.0', '10.88.0.255'],
    ['172.16.5.9', '255.255.0.0', '172.16.255.255'],
    ['192.168.1.5', '255.255.255.252', '192.168.1.7'],
    ['10.0.0.1', '255.255.255.255', '10.0.0.1'],
    ['10.0.0.1', '0.0.0.0', '255.255.255.255'],
  ])('%s/%s -> %s', (a, m, b) => expect(subnetBroadcast(a, m)).toBe(b));

  const table: NodeJS.Dict<NetworkInterfaceInfo[]> = {
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
    eth1: [
      { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '52:54:00:00:00:01', internal: false, cidr: 'fe80::1/64', scopeid: 2 },
      { address: '10.20.30.40', netmask: '255.255.254.0', family: 'IPv4', mac: '52:54:00:00:00:01', internal: false, cidr: '10.20.30.40/23' },
    ],
    v6only: [{ address: 'fe80::2', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '52:54:00:00:00:02', internal: false, cidr: 'fe80::2/64', scopeid: 3 }],
  };

  it('takes the IPv4 address of the named interface', () => {
    expect(interfaceBroadcast(table, 'eth1')).toEqual({ address: '10.20.30.40', broadcast: '10.20.31.255' });
  });

  it('names the interfaces it has when the one asked for is missing', () => {
    expect(() => interfaceBroadcast(table, 'eth9')).toThrow('no network interface "eth9" (have: lo, eth1, v6only)');
    expect(() => interfaceBroadcast(table, 'v6only')).toThrow(/has no IPv4 address/);
  });

  it('the driver sends to the broadcast of the chosen interface, port 9 unless told', () => {
    expect(new WolDriver({ mac: '52:54:00:00:00:09', interface: 'eth1', lookup: () => table }).destination()).toEqual({
      source: '10.20.30.40',
      address: '10.20.31.255',
      port: 9,
    });
    expect(new WolDriver({ mac: '52:54:00:00:00:09', interface: 'eth1', port: 7, lookup: () => table }).destination().port).toBe(7);
  });
});

describe('WolDriver', () => {
  const drv = new WolDriver({ mac: '52:54:00:00:00:09', address: '127.0.0.1' });

  it('reports status unknown', async () => {
    expect(await drv.status()).toBe('unknown');
  });

  it.each(['off', 'softOff', 'cycle', 'reset'] as const)('%s fails with "unsupported by Wake-on-LAN"', async (op) => {
    await expect(drv[op]()).rejects.toMatchObject({ code: 'DF_ERR_UNAVAILABLE', protocol: 'wol', message: expect.stringContaining('unsupported by Wake-on-LAN') });
  });

  it('refuses to set the next boot device', async () => {
    await expect(drv.setNextBoot()).rejects.toThrow(/setting the next boot device is unsupported by Wake-on-LAN/);
  });

  it('needs an interface or an address, and a real port', () => {
    expect(() => new WolDriver({ mac: '52:54:00:00:00:09' })).toThrow(/needs an interface/);
    expect(() => new WolDriver({ mac: '52:54:00:00:00:09', address: '127.0.0.1', port: 0 })).toThrow(/not a UDP port/);
    expect(() => new WolDriver({ mac: 'nope', address: '127.0.0.1' })).toThrow(/not a MAC address/);
  });

  it('sends the configured number of copies (unicast to a loopback listener)', async () => {
    const rx = dgram.createSocket('udp4');
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', () => r()));
    const got: Buffer[] = [];
    const all = new Promise<void>((r) => rx.on('message', (m) => got.push(m) === 2 && r()));
    await new WolDriver({ mac: '52:54:00:00:00:09', address: '127.0.0.1', port: rx.address().port, copies: 2, gapMs: 0 }).on();
    await all;
    rx.close();
    expect(got.map((m) => m.length)).toEqual([102, 102]);
    expect(got[0].subarray(6, 12).toString('hex')).toBe('525400000009');
  });
});
