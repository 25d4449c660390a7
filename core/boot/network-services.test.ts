import { describe, expect, it } from 'vitest';
import type { ClientClass } from '../dhcp/classify.ts';
import type { DhcpServer, DhcpServerOptions } from '../dhcp/server.ts';
import { BOOTREPLY, decodeDhcp, DecodeError, emptyPacket, encodeDhcp } from '../dhcp/codec.ts';
import { createMemoryLeaseStore } from '../dhcp/lease-store.ts';
import { MessageType } from '../dhcp/options/message.ts';
import type { SocketFactory } from '../dhcp/sockets.ts';
import { parseMac } from '../shared/mac.ts';
import { NetworkServices, type NetworkServicesDeps, type ProvisioningSettings } from './network-services.ts';

const IPXE: ClientClass = { arch: 'bios', isPxe: true, isHttpClient: false, isIpxe: true };
const MAC = parseMac('52:54:00:00:00:01');

/** NetworkServices with fake servers and host: records every server it starts. */
function harness(over: Partial<NetworkServicesDeps> & { addrs?: Record<string, string>; otherDhcp?: string[] } = {}) {
  const started: Array<DhcpServerOptions & { closed: boolean }> = [];
  const probes: string[] = [];
  const addrs = over.addrs ?? { dflbr0: '10.77.0.1', dflbr1: '10.88.0.1' };
  const services = new NetworkServices({
    steps: { recordBootStep: async () => {} },
    dataDir: '/nonexistent',
    ipxeDir: '/nonexistent',
    http: () => ({ listen: '0.0.0.0', port: 8080, fallbackAddress: () => '192.0.2.7' }),
    interfaceIpv4: (iface) => (addrs[iface] ? { address: addrs[iface], netmask: '255.255.255.0' } : undefined),
    probe: async (iface) => {
      probes.push(iface);
      return (over.otherDhcp ?? []).map((serverId) => ({ serverId }));
    },
    openLeaseStore: async () => createMemoryLeaseStore(),
    createDhcp: (o): DhcpServer => {
      const rec = { ...o, closed: false };
      started.push(rec);
      return { mode: o.mode, start: async () => {}, close: async () => void (rec.closed = true), stats: () => ({}) as never };
    },
    ...over,
  });
  return { services, started, probes };
}

const settings = (over: Partial<ProvisioningSettings> = {}): ProvisioningSettings => ({
  interface: 'dflbr0',
  dhcpMode: 'full',
  range: { start: '10.77.0.100', end: '10.77.0.199' },
  dns: [],
  leaseSeconds: 600,
  tftpPort: 0,
  ...over,
});

const scriptUrlOf = async (o: DhcpServerOptions) => (await o.bootPolicy!(IPXE, MAC, {} as never))?.bootfile;

describe('NetworkServices: the advertised address follows the network settings', () => {
  it('with no interface: DHCP and TFTP off, and machines would be sent to some address of this host', async () => {
    const { services, started } = harness();
    await services.apply(settings({ interface: undefined }));
    expect(services.health().dhcp).toEqual({ ok: true, detail: 'off: no provisioning interface chosen' });
    expect(started).toHaveLength(0);
    expect(services.serverUrl()).toBe('http://192.0.2.7:8080');
  });

  it('choosing an interface later recomputes the boot URL, probes again and restarts DHCP with the new URL', async () => {
    const { services, started, probes } = harness();
    await services.apply(settings({ interface: undefined }));
    await services.apply(settings());
    expect(services.serverUrl()).toBe('http://10.77.0.1:8080');
    expect(started.map((s) => [s.interface, s.mode])).toEqual([['dflbr0', 'full']]);
    expect(await scriptUrlOf(started[0])).toBe('http://10.77.0.1:8080/boot/ipxe');

    await services.apply(settings({ interface: 'dflbr1', range: { start: '10.88.0.100', end: '10.88.0.199' } }));
    expect(probes).toEqual(['dflbr0', 'dflbr1']);
    expect(started[0].closed).toBe(true);
    expect(await scriptUrlOf(started[1])).toBe('http://10.88.0.1:8080/boot/ipxe');
    expect(services.health().dhcp).toEqual({ ok: true, detail: 'full on dflbr1' });
  });

  it('the UEFI chain is asked per MAC with the DHCP mode actually running (full, or proxy after the probe)', async () => {
    const asked: string[] = [];
    const uefiChain = (mac: string, dhcp: 'full' | 'proxy') => (asked.push(`${mac} ${dhcp}`), dhcp === 'full' ? ('shim' as const) : ('ipxe' as const));
    const uefi: ClientClass = { arch: 'uefi-x64', archCode: 7, isPxe: true, isHttpClient: false, isIpxe: false };
    for (const [otherDhcp, file] of [[[], 'shimx64.efi'], [['10.77.0.254'], 'snponly.efi']] as const) {
      const { services, started } = harness({ uefiChain, otherDhcp: [...otherDhcp] });
      await services.apply(settings());
      expect((await started[0].bootPolicy!(uefi, MAC, {} as never))?.bootfile).toBe(file);
    }
    expect(asked).toEqual([`${MAC} full`, `${MAC} proxy`]);
  });

  it('an advertise address wins over the interface address', async () => {
    const { services, started } = harness();
    await services.apply(settings({ advertiseAddress: '10.77.0.250' }));
    expect(services.serverUrl()).toBe('http://10.77.0.250:8080');
    expect(await scriptUrlOf(started[0])).toBe('http://10.77.0.250:8080/boot/ipxe');
  });

  it('full mode falls back to proxy when another DHCP server answers, and says so', async () => {
    const { services, started } = harness({ otherDhcp: ['10.77.0.254'] });
    await services.apply(settings());
    expect(started.map((s) => s.mode)).toEqual(['proxy']);
    expect(services.health().dhcp.detail).toBe('proxy on dflbr0; another DHCP server answers (10.77.0.254), so proxy mode is used instead of full');
  });

  it('the probe sends through the probe socket factory (the privileged helper when unprivileged) and its answer means proxy', async () => {
    const opened: string[] = [];
    const probeSockets: SocketFactory = async (spec) => {
      opened.push(`UDP ${spec.port} on ${spec.iface}`);
      return {
        send: async (data) => {
          const d = decodeDhcp(data);
          if (d instanceof DecodeError) throw new Error(d.message);
          spec.onMessage(encodeDhcp({ ...emptyPacket(BOOTREPLY), xid: d.xid, yiaddr: '10.77.0.60', options: { messageType: MessageType.OFFER, serverId: '10.77.0.253' } }), { address: '10.77.0.253', port: 67 });
        },
        close: async () => void opened.push('closed'),
      };
    };
    const { services, started } = harness({ probe: undefined, probeSeconds: 0.05, sockets: { dhcp: undefined, probe: probeSockets, tftp: () => ({}) } });
    await services.apply(settings());
    expect(opened).toEqual(['UDP 68 on dflbr0', 'closed']);
    expect(started.map((s) => s.mode)).toEqual(['proxy']);
    expect(services.health().dhcp.detail).toBe('proxy on dflbr0; another DHCP server answers (10.77.0.253), so proxy mode is used instead of full');
  });

  it('a probe that cannot run never means full mode: proxy, and the health says why', async () => {
    const { services, started } = harness({ probe: async () => Promise.reject(new Error('not allowed to bind UDP 68 on dflbr0 directly')) });
    await services.apply(settings());
    expect(started.map((s) => s.mode)).toEqual(['proxy']);
    expect(services.health().dhcp).toEqual({
      ok: true,
      detail: 'proxy on dflbr0; the check for another DHCP server could not run (not allowed to bind UDP 68 on dflbr0 directly), so proxy mode is used instead of full (forceFullDhcp starts full mode anyway)',
    });
  });

  it('an interface without IPv4, or a DHCP server that cannot bind, is health with the fix, never a throw', async () => {
    const { services } = harness();
    await services.apply(settings({ interface: 'eth9' }));
    expect(services.health().dhcp).toEqual({ ok: false, error: 'interface "eth9" has no IPv4 address; choose the interface on the provisioning network' });
    const failing = harness({
      createDhcp: (o) => ({ mode: o.mode, start: async () => Promise.reject(new Error('EACCES')), close: async () => {}, stats: () => ({}) as never }),
    });
    await failing.services.apply(settings({ dhcpMode: 'proxy' }));
    expect(failing.services.health().dhcp).toMatchObject({ ok: false, error: 'DHCP failed to start: EACCES' });
  });

  it('with a swarm, full mode campaigns instead of probing; its DHCP server gets the same boot policy', async () => {
    const calls: Array<{ iface: string; address: string }> = [];
    let closed = false;
    const { services, started, probes } = harness({
      swarm: ({ iface, address, createServer, onState }) => {
        calls.push({ iface, address: address.address });
        createServer(createMemoryLeaseStore());
        onState(true, 'elected');
        return { close: async () => void (closed = true) };
      },
    });
    await services.apply(settings());
    expect(calls).toEqual([{ iface: 'dflbr0', address: '10.77.0.1' }]);
    expect(probes).toEqual([]);
    expect(services.health().dhcp.detail).toBe('swarm leader, serving, full on dflbr0: elected');
    expect(await scriptUrlOf(started[0])).toBe('http://10.77.0.1:8080/boot/ipxe');
    await services.close();
    expect(closed).toBe(true);
  });
});
