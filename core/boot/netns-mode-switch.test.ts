/**
 * Full mode beside a real DHCP server: NetworkServices probes the interface, finds dnsmasq
 * and serves proxyDHCP instead, so two servers never hand out addresses on one segment.
 * When the settings are applied again with dnsmasq gone, it probes again and serves full.
 * Everything runs in namespaces this test creates (dfd-ms*); no other network is touched.
 */
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLab, lineReader, type Lab } from '../dhcp/testing/lab.ts';
import { describeWithPeers } from '../testing/peers.ts';


interface Offer {
  kind: string;
  type: number;
  yiaddr: string;
  file: string;
  serverId?: string;
}

const settings = {
  interface: 'dfd-br0',
  dhcpMode: 'full',
  range: { start: '10.77.23.100', end: '10.77.23.150' },
  dns: [],
  leaseSeconds: 600,
  tftpPort: 0,
};

describeWithPeers(['root', 'ip', 'dnsmasq'], 'automatic switch from full to proxy mode', () => {
  let lab: Lab;
  let c0: string;
  let dnsmasq: ChildProcess;
  let services: ChildProcess;
  let out: ReturnType<typeof lineReader>;

  const node = (script: string, ...args: string[]) => ['node', '--no-deprecation', '--import', 'tsx', script, ...args];

  async function offersFromUs(mac: string): Promise<Offer[]> {
    const r = lineReader(lab.spawnIn(c0, node('core/dhcp/testing/pxe-client.ts', 'dfd-c0', mac, '0')));
    await r.waitFor((l) => l.includes('"done"'));
    return r.lines.filter((l) => l.includes('"kind"')).map((l) => JSON.parse(l) as Offer).filter((o) => o.type === 2 && o.serverId === '10.77.23.1');
  }

  const nthHealth = (n: number) => out.waitFor(() => out.lines.filter((l) => l.includes('"health"')).length >= n, 30_000).then(() => JSON.parse(out.lines.filter((l) => l.includes('"health"'))[n - 1]));

  beforeAll(async () => {
    lab = createLab('ms');
    lab.addBridge(0, '10.77.23.1/24');
    const d = lab.addHost('d', 0, '10.77.23.2/24');
    c0 = lab.addHost('c0', 0, '10.77.23.50/24');
    dnsmasq = lab.spawnIn(d, ['dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--port=0', '--interface=dfd-d', '--bind-interfaces', '--no-ping', '--dhcp-range=10.77.23.200,10.77.23.250,255.255.255.0,1h', `--dhcp-leasefile=${join(lab.dir, 'dnsmasq.leases')}`, '--log-dhcp']);
    const dnsmasqOut = lineReader(dnsmasq);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`dnsmasq did not start: ${dnsmasqOut.stderr()}`)), 10_000);
      const check = setInterval(() => dnsmasqOut.stderr().includes('DHCP, IP range') && (clearInterval(check), clearTimeout(t), resolve()), 50);
    });
    const cfg = { dataDir: lab.dir, ipxeDir: lab.dir, probeSeconds: 2, settings };
    services = lab.spawnIn(lab.ns, node('core/boot/testing/run-network-services.ts', JSON.stringify(cfg)));
    out = lineReader(services);
  }, 60_000);

  afterAll(async () => {
    await lab?.close();
  });

  it('finds dnsmasq answering and serves proxy, handing out boot information but no address', async () => {
    const first = await nthHealth(1);
    expect(first.health.dhcp).toEqual({ ok: true, detail: 'proxy on dfd-br0; another DHCP server answers (10.77.23.2), so proxy mode is used instead of full' });
    expect(first.serverUrl).toBe('http://10.77.23.1:8080');
    const offers = await offersFromUs('52:54:00:23:00:01');
    expect(offers.length).toBeGreaterThan(0);
    expect(offers.every((o) => o.yiaddr === '0.0.0.0')).toBe(true);
  }, 60_000);

  it('with dnsmasq gone, applying the settings again probes again and serves full mode with addresses', async () => {
    await lab.stop(dnsmasq);
    services.stdin!.write(`apply ${JSON.stringify(settings)}\n`);
    const second = await nthHealth(2);
    expect(second.health.dhcp).toEqual({ ok: true, detail: 'full on dfd-br0' });
    const offers = await offersFromUs('52:54:00:23:00:02');
    expect(offers.map((o) => o.yiaddr)).toEqual([expect.stringMatching(/^10\.77\.23\.1[0-5]\d$/)]);
    expect(offers[0].file).toBe('undionly.kpxe');
  }, 60_000);
});
