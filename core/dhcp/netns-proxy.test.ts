/**
 * Proxy mode beside a real DHCP server (dnsmasq on its own host on the same bridge), and
 * probeExistingDhcp finding that server. Namespaces carry the prefix dfd-px.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPeers } from '../testing/peers.ts';
import { createLab, lineReader, type Lab } from './testing/lab.ts';

interface Reply {
  kind: 'reply68' | 'reply4011';
  from: string;
  type: number;
  yiaddr: string;
  siaddr: string;
  file: string;
  serverId?: string;
  vendorClass?: string;
  pxe?: string[];
}

describeWithPeers(['root', 'ip', 'dnsmasq'], 'proxy mode beside dnsmasq in network namespaces', () => {
  let lab: Lab;
  let c0: string;
  let dnsmasqHost: string;

  const node = (script: string, ...args: string[]) => ['node', '--no-deprecation', '--import', 'tsx', `core/dhcp/testing/${script}`, ...args];

  async function runPxeClient(mac: string, arch: number): Promise<Reply[]> {
    const r = lineReader(lab.spawnIn(c0, node('pxe-client.ts', 'dfd-c0', mac, String(arch), '10.77.22.1')));
    await r.waitFor((l) => l.includes('"done"'));
    return r.lines.filter((l) => l.includes('"kind"')).map((l) => JSON.parse(l) as Reply);
  }

  beforeAll(async () => {
    lab = createLab('px');
    lab.addBridge(0, '10.77.22.1/24');
    dnsmasqHost = lab.addHost('d', 0, '10.77.22.2/24');
    c0 = lab.addHost('c0', 0, '10.77.22.50/24');
    const dnsmasq = lab.spawnIn(dnsmasqHost, ['dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--port=0', '--interface=dfd-d', '--bind-interfaces', '--no-ping', '--dhcp-range=10.77.22.100,10.77.22.150,255.255.255.0,1h', `--dhcp-leasefile=${join(lab.dir, 'dnsmasq.leases')}`, '--log-dhcp']);
    const dnsmasqOut = lineReader(dnsmasq);
    const cfg = { interface: 'dfd-br0', mode: 'proxy', urls: { ipxeScriptUrl: 'http://10.77.22.1:8080/boot/ipxe?mac=${net0/mac}', httpBootBase: 'http://10.77.22.1:8080/ipxe/' } };
    const server = lineReader(lab.spawnIn(lab.ns, node('run-server.ts', JSON.stringify(cfg))));
    await server.waitFor((l) => l.includes('"ready"'));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`dnsmasq did not start: ${dnsmasqOut.stderr()}`)), 10000);
      const check = setInterval(() => dnsmasqOut.stderr().includes('DHCP, IP range') && (clearInterval(check), clearTimeout(t), resolve()), 50);
    });
  });

  afterAll(async () => {
    await lab?.close();
  });

  it('a UEFI PXE client gets an address offer from dnsmasq and a boot-only offer from us', async () => {
    const replies = await runPxeClient('52:54:00:22:00:07', 7);
    const offers = replies.filter((r) => r.kind === 'reply68' && r.type === 2);
    const fromDnsmasq = offers.find((r) => r.serverId === '10.77.22.2');
    const fromUs = offers.find((r) => r.serverId === '10.77.22.1');
    expect(fromDnsmasq?.yiaddr).toMatch(/^10\.77\.22\.1[0-5]\d$/);
    expect(fromUs).toMatchObject({ yiaddr: '0.0.0.0', vendorClass: 'PXEClient', file: 'snponly.efi', siaddr: '10.77.22.1', pxe: ['discovery-control'] });
  });

  it('the 4011 REQUEST of a BIOS ROM gets an ACK with undionly.kpxe', async () => {
    const replies = await runPxeClient('52:54:00:22:00:00', 0);
    const ourOffer = replies.find((r) => r.kind === 'reply68' && r.serverId === '10.77.22.1');
    expect(ourOffer?.pxe).toEqual(['discovery-control', 'boot-servers', 'boot-menu', 'menu-prompt']);
    const ack = replies.find((r) => r.kind === 'reply4011');
    expect(ack).toMatchObject({ from: '10.77.22.1', type: 5, yiaddr: '0.0.0.0', file: 'undionly.kpxe', siaddr: '10.77.22.1', pxe: ['boot-item'] });
  });

  it('probeExistingDhcp reports dnsmasq (and not our proxy, which ignores non-PXE clients)', async () => {
    const r = lineReader(lab.spawnIn(c0, node('run-probe.ts', 'dfd-c0', '1500')));
    const line = await r.waitFor((l) => l.includes('"offers"'));
    const { offers } = JSON.parse(line) as { offers: Array<{ serverId: string; yiaddr: string }> };
    expect(offers.map((o) => o.serverId)).toEqual(['10.77.22.2']);
    expect(offers[0].yiaddr).toMatch(/^10\.77\.22\.1[0-5]\d$/);
  });
});
