/**
 * The existing-DHCP probe of an unprivileged control plane (DESIGN.md section 9), with real
 * processes in namespaces this test creates (prefix dfd-pp): dnsmasq answers DHCP on the
 * segment, dragonfly-privhelper runs as root, NetworkServices runs as uid 1000 with no
 * capabilities. Its probe's UDP 68 goes through the helper, finds dnsmasq, and DHCP comes up
 * in proxy mode; with dnsmasq gone, the same probe finds nobody and full mode starts.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLab, lineReader, type Lab } from '../dhcp/testing/lab.ts';
import { describeWithPeers } from '../testing/peers.ts';

const UID = 1000;
const settings = { interface: 'dfd-br0', dhcpMode: 'full', range: { start: '10.77.32.100', end: '10.77.32.150' }, dns: [], leaseSeconds: 600, tftpPort: 0 };
const node = (script: string, ...args: string[]) => ['node', '--no-deprecation', '--import', 'tsx', script, ...args];

interface Offer {
  type: number;
  yiaddr: string;
  serverId?: string;
}

describeWithPeers(['root', 'ip', 'setpriv', 'dnsmasq'], `the existing-DHCP probe as uid ${UID} through the privileged helper`, () => {
  let lab: Lab;
  let c0: string;
  let dnsmasq: ChildProcess;
  let services: ChildProcess;
  let out: ReturnType<typeof lineReader>;
  let helperLog: ReturnType<typeof lineReader>;

  const healthLines = () => out.lines.filter((l) => l.includes('"health"'));
  const nthHealth = async (n: number) => {
    await out.waitFor(() => healthLines().length >= n, 90_000); // a cold tsx cache for uid 1000 is slow under load
    return JSON.parse(healthLines()[n - 1]) as { health: { dhcp: { ok: boolean; detail?: string; error?: string } } };
  };

  async function offers(mac: string): Promise<Offer[]> {
    const r = lineReader(lab.spawnIn(c0, node('core/dhcp/testing/pxe-client.ts', 'dfd-c0', mac, '0')));
    await r.waitFor((l) => l.includes('"done"'), 30_000);
    return r.lines.filter((l) => l.includes('"kind"')).map((l) => JSON.parse(l) as Offer).filter((o) => o.type === 2);
  }

  beforeAll(async () => {
    lab = createLab('pp');
    chmodSync(lab.dir, 0o755);
    lab.addBridge(0, '10.77.32.1/24');
    const d = lab.addHost('d', 0, '10.77.32.2/24');
    c0 = lab.addHost('c0', 0, '10.77.32.50/24');
    dnsmasq = lab.spawnIn(d, ['dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--port=0', '--interface=dfd-d', '--bind-interfaces', '--no-ping', '--dhcp-range=10.77.32.200,10.77.32.250,255.255.255.0,1h', `--dhcp-leasefile=${join(lab.dir, 'dnsmasq.leases')}`]);
    const dnsmasqOut = lineReader(dnsmasq);
    await until(() => dnsmasqOut.stderr().includes('DHCP, IP range'), 10_000, () => `dnsmasq did not start: ${dnsmasqOut.stderr()}`);
    const sock = join(lab.dir, 'privhelper.sock');
    helperLog = lineReader(lab.spawnIn(lab.ns, ['node', 'bin/dragonfly-privhelper.mjs', '--listen', sock, '--owner', `${UID}:${UID}`, '--interface', 'dfd-br0']));
    await until(() => helperLog.stderr().includes('listening on'));
    const work = join(lab.dir, 'user');
    mkdirSync(work);
    chownSync(work, UID, UID);
    const cfg = { dataDir: work, ipxeDir: work, probeSeconds: 2, settings, helper: `unix:${sock}` };
    const drop = ['setpriv', `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', 'env', `HOME=${work}`];
    services = lab.spawnIn(lab.ns, [...drop, ...node('core/boot/testing/run-network-services.ts', JSON.stringify(cfg))]);
    out = lineReader(services);
  }, 60_000);

  afterAll(async () => {
    await lab?.close();
  });

  it('the probe goes through the helper, finds dnsmasq, and DHCP comes up in proxy mode', async () => {
    const first = await nthHealth(1);
    expect(first.health.dhcp, `services said: ${out.lines.join('\n')}\nhelper: ${helperLog.stderr()}`).toEqual({ ok: true, detail: 'proxy on dfd-br0; another DHCP server answers (10.77.32.2), so proxy mode is used instead of full' });
    expect(out.lines).toContain(JSON.stringify({ log: `UDP 68 on dfd-br0: this user may not bind ports below 1024, so the helper at unix:${join(lab.dir, 'privhelper.sock')} binds it for the existing-DHCP probe only (closed when the probe ends) and relays its datagrams to Dragonfly` }));
    // UDP 68 was the helper's only for the probe, before the proxy server's 67 (4011 needs no
    // privilege; the helper's stderr may arrive after the services' health line).
    await until(() => helperLog.stderr().includes('bound UDP 67'), 10_000, () => `helper: ${helperLog.stderr()}`);
    expect(helperLog.stderr().match(/(bound|closed) UDP \d+ on dfd-br0[^(]*/g)?.map((s) => s.trim())).toEqual([
      'bound UDP 68 on dfd-br0 for the existing-DHCP probe',
      'closed UDP 68 on dfd-br0 for the existing-DHCP probe',
      'bound UDP 67 on dfd-br0',
    ]);
  }, 120_000);

  it('a PXE client on the segment gets an address from dnsmasq only, and boot information from us', async () => {
    const got = await offers('52:54:00:32:00:01');
    const ours = got.filter((o) => o.serverId === '10.77.32.1');
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.every((o) => o.yiaddr === '0.0.0.0')).toBe(true);
    expect(got.filter((o) => o.serverId === '10.77.32.2').map((o) => o.yiaddr)).toContainEqual(expect.stringMatching(/^10\.77\.32\.2\d\d$/));
  }, 60_000);

  it('with dnsmasq gone, applying the settings again probes through the helper again and serves full mode', async () => {
    await lab.stop(dnsmasq);
    services.stdin!.write(`apply ${JSON.stringify(settings)}\n`);
    const second = await nthHealth(2);
    expect(second.health.dhcp).toEqual({ ok: true, detail: 'full on dfd-br0' });
    expect(helperLog.stderr().match(/bound UDP 68 on dfd-br0 for the existing-DHCP probe/g)).toHaveLength(2);
    const got = await offers('52:54:00:32:00:02');
    expect(got.map((o) => [o.serverId, o.yiaddr])).toEqual([['10.77.32.1', expect.stringMatching(/^10\.77\.32\.1[0-5]\d$/)]]);
  }, 120_000);
});

async function until(ok: () => boolean, ms = 30_000, why = () => 'condition not met in time'): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(why());
    await new Promise((r) => setTimeout(r, 50));
  }
}
