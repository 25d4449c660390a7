import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bootPolicy } from '../boot/bootfile.ts';
import { BootTimeline } from '../boot/timeline.ts';
import { bootUrls } from '../boot/urls.ts';
import { pxeDiscover } from '../dhcp/client-messages.ts';
import { decodeDhcp, DecodeError, encodeDhcp, type DhcpPacket } from '../dhcp/codec.ts';
import { MessageType } from '../dhcp/options/message.ts';
import { createDhcpServer, type DhcpServer } from '../dhcp/server.ts';
import { createMemoryNetwork } from '../dhcp/testing/memory-sockets.ts';
import { createMemoryLeaseStore } from '../dhcp/lease-store.ts';
import { parseMac } from '../shared/mac.ts';
import { createHarness, sampleFacts, type Harness } from '../testing/api-harness.ts';
import { uefiChainByMac } from './secure-boot.ts';

// A UEFI machine registered with Secure Boot off, then Secure Boot turned on in its setup: the
// real DHCP server (in memory), the real boot policy and chain choice, the real timeline.
const MAC = parseMac('52:54:00:5b:00:02');
const UEFI_X64 = 7;

describe('a machine known as Secure Boot off whose firmware refuses iPXE gets the signed chain', () => {
  let h: Harness;
  let dhcp: DhcpServer;
  let timeline: BootTimeline;
  const net = createMemoryNetwork();

  beforeEach(async () => {
    h = await createHarness();
    timeline = new BootTimeline(h.registrar);
    const chain = uefiChainByMac('auto', h.index, timeline.ipxeRefusals);
    dhcp = createDhcpServer({
      mode: 'full',
      serverIp: '10.0.0.1',
      subnetMask: '255.255.255.0',
      range: { start: '10.0.0.100', end: '10.0.0.120' },
      leaseSeconds: 600,
      leaseStore: createMemoryLeaseStore(),
      bootPolicy: bootPolicy(() => bootUrls('http://10.0.0.1:8080'), undefined, (mac, viaHttp) => chain(mac, 'full', viaHttp)),
      socketFactory: net.factory,
      onEvent: (e) => timeline.dhcp(e),
      ports: { server: 67, client: 68, pxe: 4011 },
    });
    await dhcp.start();
    await h.registrar.register(MAC, sampleFacts([MAC], { firmware: 'uefi', secureBoot: false }));
  });
  afterEach(async () => {
    await dhcp.close();
    await h.close();
  });

  async function exchange(p: DhcpPacket): Promise<DhcpPacket> {
    const before = net.sent.length;
    net.deliver(67, encodeDhcp(p));
    const sent = await net.waitForSent(before + 1);
    const reply = decodeDhcp(sent[before]!.data);
    if (reply instanceof DecodeError) throw new Error(reply.message);
    return reply;
  }

  /** The firmware's PXE DHCP (DISCOVER, then REQUEST): the boot file it is given. */
  async function firmwareBoots(extra = {}): Promise<string> {
    const offer = await exchange(pxeDiscover(MAC, UEFI_X64, extra));
    const ack = await exchange(pxeDiscover(MAC, UEFI_X64, { ...extra, messageType: MessageType.REQUEST, serverId: '10.0.0.1', requestedIp: offer.yiaddr }));
    expect(ack.file || ack.options.bootfileName).toBe(offer.file || offer.options.bootfileName);
    return ack.file || String(ack.options.bootfileName);
  }

  /** iPXE, once loaded, asks DHCP itself (user class iPXE). */
  async function ipxeRuns(): Promise<void> {
    const ipxe = { userClass: { format: 'plain' as const, text: 'iPXE' } };
    const offer = await exchange(pxeDiscover(MAC, UEFI_X64, ipxe));
    await exchange(pxeDiscover(MAC, UEFI_X64, { ...ipxe, messageType: MessageType.REQUEST, serverId: '10.0.0.1', requestedIp: offer.yiaddr }));
  }

  it('iPXE heard from: the next boot is iPXE again', async () => {
    expect(await firmwareBoots()).toBe('snponly.efi');
    await ipxeRuns();
    expect(await firmwareBoots()).toBe('snponly.efi');
  });

  it('iPXE never heard from (refused) and the firmware asks again: shim; once GRUB fetched its configuration and the agent reported off, iPXE', async () => {
    expect(await firmwareBoots()).toBe('snponly.efi');
    // Access Denied: the firmware moves on and asks again, never having run iPXE.
    expect(await firmwareBoots()).toBe('shimx64.efi');
    expect(await firmwareBoots()).toBe('shimx64.efi'); // the same boot's REQUEST after a retry stays shim
    await timeline.script(MAC, '10.0.0.100', { kind: 'discovery' }, 'uefi'); // GRUB's configuration served
    await h.registrar.register(MAC, sampleFacts([MAC], { firmware: 'uefi', secureBoot: true }));
    expect(await firmwareBoots()).toBe('shimx64.efi');
    await h.registrar.register(MAC, sampleFacts([MAC], { firmware: 'uefi', secureBoot: false })); // turned off again
    expect(await firmwareBoots()).toBe('snponly.efi');
  });

  it('refused over PXE, the firmware tries UEFI HTTP boot next in the same power-on: the signed RAM disk', async () => {
    expect(await firmwareBoots()).toBe('snponly.efi');
    const http = { vendorClass: 'HTTPClient:Arch:00016:UNDI:003001', clientArch: [16] };
    expect(await firmwareBoots(http)).toBe('http://10.0.0.1:8080/boot/secureboot/52-54-00-5b-00-02/boot.img');
  });

  it('an arm64 firmware (option 93 = 11) that refuses ipxe-arm64.efi gets shimaa64.efi; over HTTP boot next, the arm64 RAM disk', async () => {
    const arm64 = { vendorClass: 'PXEClient:Arch:00011:UNDI:003000', clientArch: [11] };
    expect(await firmwareBoots(arm64)).toBe('ipxe-arm64.efi');
    expect(await firmwareBoots(arm64)).toBe('shimaa64.efi');
    const http = { vendorClass: 'HTTPClient:Arch:00019:UNDI:003001', clientArch: [19] };
    expect(await firmwareBoots(http)).toBe('http://10.0.0.1:8080/boot/secureboot/52-54-00-5b-00-02/boot.img?arch=arm64');
  });
});
