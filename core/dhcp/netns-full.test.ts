/**
 * Full mode against real DHCP clients (ISC dhclient, busybox udhcpc, Kea perfdhcp) in network
 * namespaces this test creates (prefix dfd-fl), plus the interface-safety check: a server tied
 * to dfd-br0 says nothing on dfd-br1.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPeers, itWithPeers } from '../testing/peers.ts';
import { createLab, lineReader, type Lab } from './testing/lab.ts';

describeWithPeers(['root', 'ip', 'dhclient', 'busybox'], 'full mode with real clients in network namespaces', () => {
  let lab: Lab;
  let c0: string;
  let c1: string;
  let server: ReturnType<typeof lineReader>;

  beforeAll(async () => {
    lab = createLab('fl');
    lab.addBridge(0, '10.77.21.1/24');
    lab.addBridge(1, '10.78.21.1/24');
    c0 = lab.addHost('c0', 0);
    c1 = lab.addHost('c1', 1);
    // Worst case for interface safety: the routing table sends limited broadcasts out of
    // dfd-br1. Only the socket's tie to dfd-br0 keeps replies off dfd-br1 (and lets them out on br0).
    lab.exec(lab.ns, 'ip route add 255.255.255.255/32 dev dfd-br1');
    const cfg = { interface: 'dfd-br0', mode: 'full', range: { start: '10.77.21.100', end: '10.77.21.199' }, router: '10.77.21.1', dns: ['10.77.21.1'], domain: 'lab.test', leaseSeconds: 600, leaseFile: join(lab.dir, 'leases.json') };
    const child = lab.spawnIn(lab.ns, ['node', '--no-deprecation', '--import', 'tsx', 'core/dhcp/testing/run-server.ts', JSON.stringify(cfg)]);
    server = lineReader(child);
    await server.waitFor((l) => l.includes('"ready"'));
  });

  afterAll(async () => {
    await lab?.close();
  });

  it('ISC dhclient gets a lease with our router, DNS and server id', async () => {
    const lf = join(lab.dir, 'dhclient.leases');
    const pf = join(lab.dir, 'dhclient.pid');
    try {
      await lab.run(c0, `timeout 20 dhclient -4 -1 -sf /bin/true -lf ${lf} -pf ${pf} dfd-c0`);
    } finally {
      lab.killPidFile(pf);
    }
    const lease = readFileSync(lf, 'utf8');
    expect(lease).toMatch(/fixed-address 10\.77\.21\.1\d\d;/);
    expect(lease).toContain('option dhcp-server-identifier 10.77.21.1;');
    expect(lease).toContain('option routers 10.77.21.1;');
    expect(lease).toContain('option domain-name "lab.test";');
    expect(lease).toContain('option dhcp-lease-time 600;');
  });

  it('busybox udhcpc gets a lease', async () => {
    const out = join(lab.dir, 'udhcpc.env');
    const script = join(lab.dir, 'udhcpc.sh');
    writeFileSync(script, `#!/bin/sh\n[ "$1" = bound ] && echo "ip=$ip serverid=$serverid lease=$lease router=$router" > ${out}\nexit 0\n`);
    chmodSync(script, 0o755);
    await lab.run(c0, `busybox udhcpc -i dfd-c0 -n -q -t 5 -T 2 -s ${script}`);
    expect(readFileSync(out, 'utf8')).toMatch(/^ip=10\.77\.21\.1\d\d serverid=10\.77\.21\.1 lease=600 router=10\.77\.21\.1\n$/);
  });

  it('the durable lease file holds the bound leases', () => {
    const file = JSON.parse(readFileSync(join(lab.dir, 'leases.json'), 'utf8')) as { leases: Array<{ state: string }> };
    expect(file.leases.filter((l) => l.state === 'bound').length).toBeGreaterThanOrEqual(1);
  });

  it('a client on the other bridge gets nothing, and no reply leaves on dfd-br1', async () => {
    const pcap = join(lab.dir, 'br1.pcap');
    const dump = lab.spawnIn(lab.ns, ['tcpdump', '-i', 'dfd-br1', '-n', '-U', '-w', pcap, 'udp port 67 or udp port 68']);
    const dumpErr = lineReader(dump);
    await new Promise<void>((resolve) => {
      const check = setInterval(() => dumpErr.stderr().includes('listening on') && (clearInterval(check), resolve()), 50);
    });
    const script = join(lab.dir, 'noop.sh');
    writeFileSync(script, '#!/bin/sh\nexit 0\n');
    chmodSync(script, 0o755);
    let failed = false;
    try {
      await lab.run(c1, `busybox udhcpc -i dfd-c1 -n -q -t 3 -T 1 -s ${script}`);
    } catch {
      failed = true; // udhcpc -n exits non-zero without a lease
    }
    await lab.stop(dump);
    const read = (filter: string) => execFileSync('tcpdump', ['-r', pcap, '-n', filter], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').filter(Boolean);
    expect(failed).toBe(true);
    expect(read('udp dst port 67').length).toBeGreaterThanOrEqual(3); // the capture saw the client asking
    expect(read('udp src port 67')).toEqual([]); // and no server answered there
  });

  itWithPeers(['perfdhcp'], 'Kea perfdhcp completes exchanges with few drops (smoke)', async () => {
    lab.exec(c0, 'ip addr add 10.77.21.2/24 dev dfd-c0');
    const out = await lab.run(c0, 'timeout 30 perfdhcp -4 -l dfd-c0 -r 200 -R 50 -p 2 2>&1 || true');
    const sent = Number(/Statistics for: DISCOVER-OFFER\*+\nsent packets: (\d+)/.exec(out)?.[1]);
    const acked = Number(/Statistics for: REQUEST-ACK\*+\nsent packets: \d+\nreceived packets: (\d+)/.exec(out)?.[1]);
    // A smoke test on a shared 2-core machine: most exchanges complete (rates belong in bench/).
    expect(sent, out).toBeGreaterThan(50);
    expect(acked / sent, out).toBeGreaterThan(0.5);
  });
});
