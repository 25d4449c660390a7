/** fast-check generators for DHCP packets, used by the codec property tests and the fuzzer. */
import fc from 'fast-check';
import type { DhcpPacket } from '../codec.ts';
import type { DhcpOptions } from '../options/registry.ts';
import type { PxeSubOption } from '../options/pxe-vendor.ts';

const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((t) => t.join('.'));
const text = (max = 40) => fc.string({ maxLength: max, unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)) });
const bytes = (min = 0, max = 40) => fc.uint8Array({ minLength: min, maxLength: max });
const u16 = fc.nat(0xffff);
const u32 = fc.nat({ max: 0xffffffff });

const pxeSub: fc.Arbitrary<PxeSubOption> = fc.oneof(
  fc.record({ kind: fc.constant('discovery-control' as const), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('boot-servers' as const), servers: fc.array(fc.record({ type: u16, ips: fc.array(ip, { maxLength: 3 }) }), { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('boot-menu' as const), items: fc.array(fc.record({ type: u16, description: text(20) }), { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('menu-prompt' as const), timeout: fc.nat(255), prompt: text(20) }),
  fc.record({ kind: fc.constant('boot-item' as const), type: u16, layer: u16 }),
  fc.record({ kind: fc.constant('raw' as const), code: fc.integer({ min: 1, max: 254 }), data: bytes(0, 20) }),
);

const sub = fc.record({ code: fc.integer({ min: 1, max: 254 }), data: bytes(0, 20) });

export const optionsArb: fc.Arbitrary<DhcpOptions> = fc.record(
  {
    subnetMask: ip,
    routers: fc.array(ip, { minLength: 1, maxLength: 3 }),
    dnsServers: fc.array(ip, { minLength: 1, maxLength: 3 }),
    hostName: text(),
    domainName: text(),
    broadcastAddress: ip,
    vendorSpecific: fc.oneof(
      fc.record({ format: fc.constant('pxe' as const), items: fc.array(pxeSub, { maxLength: 5 }), ended: fc.boolean() }),
      fc.record({ format: fc.constant('raw' as const), data: bytes(0, 30) }),
    ),
    requestedIp: ip,
    leaseSeconds: u32,
    messageType: fc.integer({ min: 1, max: 8 }),
    serverId: ip,
    parameterRequestList: fc.array(fc.nat(255), { maxLength: 20 }),
    message: text(),
    maxMessageSize: u16,
    renewalSeconds: u32,
    rebindingSeconds: u32,
    vendorClass: text(),
    clientId: fc.record({ type: fc.nat(255), id: bytes(1, 20) }),
    tftpServerName: text(),
    bootfileName: text(300),
    userClass: fc.oneof(
      fc.record({ format: fc.constant('plain' as const), text: text() }),
      fc.record({ format: fc.constant('rfc3004' as const), classes: fc.array(text(20), { minLength: 1, maxLength: 3 }) }),
    ),
    relayAgentInfo: fc.record({ subOptions: fc.array(sub, { maxLength: 3 }) }),
    clientArch: fc.array(u16, { minLength: 1, maxLength: 3 }),
    clientNdi: fc.record({ type: fc.nat(255), major: fc.nat(255), minor: fc.nat(255) }),
    clientUuid: fc.record({ type: fc.nat(255), uuid: bytes(16, 16) }),
    ipxe: fc.record({ subOptions: fc.array(sub, { maxLength: 3 }), ended: fc.boolean() }),
  },
  { requiredKeys: [] },
);

export const packetArb: fc.Arbitrary<DhcpPacket> = fc.record({
  op: fc.integer({ min: 1, max: 2 }),
  htype: fc.constant(1),
  hlen: fc.constant(6),
  hops: fc.nat(255),
  xid: u32,
  secs: u16,
  flags: fc.constantFrom(0, 0x8000),
  ciaddr: ip,
  yiaddr: ip,
  siaddr: ip,
  giaddr: ip,
  chaddr: bytes(16, 16),
  sname: text(63),
  file: text(127),
  options: optionsArb,
  unknownOptions: fc.uniqueArray(fc.record({ code: fc.integer({ min: 180, max: 254 }), data: bytes(0, 30) }), { maxLength: 3, selector: (o) => o.code }),
});
