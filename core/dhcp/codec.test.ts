import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clientMac, decodeDhcp, DecodeError, emptyPacket, encodeDhcp, BOOTREQUEST, type DhcpPacket } from './codec.ts';
import { pxeSubOption } from './options/pxe-vendor.ts';
import { fixtureFile } from '../testing/fixture-files.ts';
import { readPcapUdp } from './testing/pcap.ts';

const capture = readPcapUdp(readFileSync(fixtureFile('dhcp', 'pxe-rom-exchange.pcap')));

function decoded(bytes: Uint8Array): DhcpPacket {
  const p = decodeDhcp(bytes);
  if (p instanceof DecodeError) throw new Error(p.message);
  return p;
}

describe('DHCP codec on the real PXE ROM capture', () => {
  it('finds the four DHCP datagrams', () => {
    expect(capture.map((d) => d.dstPort)).toEqual([67, 68, 68, 67]);
  });

  it.each([0, 1, 2, 3])('decode then encode reproduces datagram %i byte for byte', (i) => {
    const bytes = capture[i].payload;
    expect(Buffer.from(encodeDhcp(decoded(bytes))).equals(Buffer.from(bytes))).toBe(true);
  });

  it('reads what the PXE ROM said in its DISCOVER', () => {
    const p = decoded(capture[0].payload);
    expect(clientMac(p)).toBe('d0:50:99:4e:05:57');
    expect(p.options.messageType).toBe(1);
    expect(p.options.vendorClass).toBe('PXEClient:Arch:00000:UNDI:002001');
    expect(p.options.clientArch).toEqual([0]);
    expect(p.options.clientNdi).toEqual({ type: 1, major: 2, minor: 1 });
    expect(p.options.maxMessageSize).toBe(1260);
    expect(p.options.parameterRequestList).toHaveLength(36);
  });

  it("reads Pixiecore's proxy offer: PXE menu in option 43, no address", () => {
    const p = decoded(capture[1].payload);
    expect(p.yiaddr).toBe('0.0.0.0');
    expect(p.options.serverId).toBe('192.168.16.10');
    expect(pxeSubOption(p.options.vendorSpecific, 'discovery-control')?.value).toBe(3);
    expect(pxeSubOption(p.options.vendorSpecific, 'boot-servers')?.servers).toEqual([{ type: 0x8000, ips: ['192.168.16.10'] }]);
    expect(pxeSubOption(p.options.vendorSpecific, 'boot-menu')?.items).toEqual([{ type: 0x8000, description: 'Pixiecore' }]);
    expect(pxeSubOption(p.options.vendorSpecific, 'menu-prompt')).toEqual({ kind: 'menu-prompt', timeout: 0, prompt: 'Pixiecore' });
  });

  it('reads the full offer and the relayed REQUEST', () => {
    const offer = decoded(capture[2].payload);
    expect(offer.options).toMatchObject({ leaseSeconds: 3600, renewalSeconds: 1800, rebindingSeconds: 3150, domainName: 'home.universe.tf', hostName: 'core01', routers: ['192.168.16.1'] });
    const req = decoded(capture[3].payload);
    expect(req.giaddr).toBe('192.168.40.1');
    expect(req.options.requestedIp).toBe('192.168.40.4');
  });
});

describe('DHCP codec edge cases', () => {
  const base = () => encodeDhcp({ ...emptyPacket(BOOTREQUEST), options: { messageType: 1 } });
  const withOptions = (...opts: number[]) => {
    const b = base();
    const head = b.subarray(0, 240);
    return Uint8Array.from([...head, ...opts]);
  };

  it('names the option and the lengths when option 93 is the wrong size', () => {
    const e = decodeDhcp(withOptions(53, 1, 1, 93, 3, 0, 0, 7, 255));
    expect(e).toBeInstanceOf(DecodeError);
    expect((e as DecodeError).message).toBe('option 93 length 3, want 2');
  });

  it('skips PAD octets between options and keeps them on re-encode', () => {
    const bytes = withOptions(0, 53, 1, 1, 0, 0, 12, 2, 0x68, 0x69, 255);
    const p = decoded(bytes);
    expect(p.options.hostName).toBe('hi');
    expect(Array.from(encodeDhcp(p))).toEqual(Array.from(bytes));
  });

  it('accepts options that run to the end without END', () => {
    const p = decoded(withOptions(53, 1, 3));
    expect(p.options.messageType).toBe(3);
  });

  it('reports an option whose length runs past the datagram', () => {
    expect((decodeDhcp(withOptions(53, 1, 1, 12, 9, 65)) as DecodeError).message).toBe('option 12 length 9, only 1 octets left');
  });

  it('rejects a wrong magic cookie and a short datagram, naming the field', () => {
    const b = base();
    b[236] = 0;
    expect((decodeDhcp(b) as DecodeError).field).toBe('magic cookie');
    expect((decodeDhcp(b.subarray(0, 100)) as DecodeError).message).toBe('packet length 100, want at least 240');
  });

  it('keeps unknown options for the round trip', () => {
    const bytes = withOptions(53, 1, 1, 224, 3, 1, 2, 3, 255);
    const p = decoded(bytes);
    expect(p.unknownOptions).toEqual([{ code: 224, data: Uint8Array.of(1, 2, 3) }]);
    expect(Array.from(encodeDhcp(p))).toEqual(Array.from(bytes));
  });

  it('concatenates a split option (RFC 3396) and splits long values on encode', () => {
    const p = decoded(withOptions(53, 1, 1, 12, 2, 0x61, 0x62, 12, 1, 0x63, 255));
    expect(p.options.hostName).toBe('abc');
    const long = { ...emptyPacket(BOOTREQUEST), options: { hostName: 'x'.repeat(300) } };
    const again = decoded(encodeDhcp(long));
    expect(again.options.hostName).toBe('x'.repeat(300));
  });

  it('decodes options carried in file and sname when option 52 says so', () => {
    const b = base();
    const bytes = Uint8Array.from([...b.subarray(0, 240), 53, 1, 1, 52, 1, 3, 255]);
    bytes.set([67, 3, 0x61, 0x2e, 0x62, 255], 108); // file field
    bytes.set([66, 1, 0x74, 255], 44); // sname field
    const p = decoded(bytes);
    expect(p.options).toMatchObject({ overload: 3, bootfileName: 'a.b', tftpServerName: 't' });
    expect(p.file).toBe('');
  });

  it('pads a hand-built packet to the 300-octet BOOTP minimum', () => {
    expect(base().length).toBe(300);
  });
});
