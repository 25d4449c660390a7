/**
 * The whole point of the helper, with real processes in namespaces this test creates (prefix
 * dfd-ph): dragonfly-privhelper runs as root, the DHCP and TFTP servers run as uid 1000 with
 * no capabilities, and real clients (ISC dhclient, busybox tftp) get their answers through the relay.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLab, lineReader, type Lab } from '../dhcp/testing/lab.ts';
import { describeWithPeers } from '../testing/peers.ts';

const UID = 1000;

describeWithPeers(['root', 'ip', 'setpriv', 'dhclient', 'busybox'], `DHCP and TFTP as uid ${UID} through the privileged helper`, () => {
  let lab: Lab;
  let c0: string;
  let c1: string;
  let helperLog: ReturnType<typeof lineReader>;
  let serverChild: ChildProcess;
  let server: ReturnType<typeof lineReader>;

  /** busybox tftp from c1; a failure carries what the server and the helper said. */
  async function fetchOverTftp(local: string): Promise<Buffer> {
    try {
      await lab.run(c1, `busybox tftp -g -r undionly.kpxe -l ${local} 10.77.31.1`);
    } catch (e) {
      throw new Error(`${(e as Error).message}\nserver: ${server.lines.slice(-10).join('\n')}\nhelper: ${helperLog.stderr().slice(-1500)}`, { cause: e });
    }
    return readFileSync(local);
  }
  let started: { ready?: boolean; uid?: number; direct67?: boolean; tftpPort?: number; log?: string[]; error?: string };
  const nbp = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 251));

  beforeAll(async () => {
    lab = createLab('ph');
    chmodSync(lab.dir, 0o755);
    lab.addBridge(0, '10.77.31.1/24');
    c0 = lab.addHost('c0', 0);
    c1 = lab.addHost('c1', 0, '10.77.31.50/24');
    const work = join(lab.dir, 'user');
    mkdirSync(join(work, 'tftp'), { recursive: true });
    writeFileSync(join(work, 'tftp', 'undionly.kpxe'), nbp);
    chownSync(work, UID, UID);
    const sock = join(lab.dir, 'privhelper.sock');
    const helper = lab.spawnIn(lab.ns, ['node', 'bin/dragonfly-privhelper.mjs', '--listen', sock, '--owner', `${UID}:${UID}`, '--interface', 'dfd-br0']);
    helperLog = lineReader(helper);
    await until(() => helperLog.stderr().includes('listening on'));
    const cfg = { iface: 'dfd-br0', helper: `unix:${sock}`, range: { start: '10.77.31.100', end: '10.77.31.199' }, leaseFile: join(work, 'leases.json'), tftpRoot: join(work, 'tftp') };
    const drop = ['setpriv', `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', 'env', `HOME=${work}`];
    serverChild = lab.spawnIn(lab.ns, [...drop, 'node', '--no-deprecation', '--import', 'tsx', 'core/privhelper/testing/run-unprivileged.ts', JSON.stringify(cfg)]);
    server = lineReader(serverChild);
    started = JSON.parse(await server.waitFor((l) => l.includes('"ready"') || l.includes('"error"'), 60_000)); // a cold tsx cache for uid 1000 is slow under load
  }, 120_000);

  afterAll(async () => {
    await lab?.close();
  });

  it('the servers run as uid 1000, could not bind UDP 67 themselves, and say the helper binds it', () => {
    expect(started.error).toBeUndefined();
    expect(started).toMatchObject({ ready: true, uid: UID, direct67: false, tftpPort: 69 });
    expect(started.log).toContain(
      `UDP 67 on dfd-br0: this user may not bind ports below 1024, so the helper at unix:${join(lab.dir, 'privhelper.sock')} binds it (it binds only UDP 67/69/4011 on the provisioning interface) and relays its datagrams to Dragonfly`,
    );
    // Full mode needs 67 only (4011 is proxyDHCP's); TFTP needs 69.
    expect(helperLog.stderr().match(/bound UDP \d+ on dfd-br0/g)).toEqual(['bound UDP 67 on dfd-br0', 'bound UDP 69 on dfd-br0']);
  });

  it('ISC dhclient gets a lease from the unprivileged server', async () => {
    const lf = join(lab.dir, 'dhclient.leases');
    const pf = join(lab.dir, 'dhclient.pid');
    try {
      await lab.run(c0, `timeout 30 dhclient -4 -1 -sf /bin/true -lf ${lf} -pf ${pf} dfd-c0`);
    } finally {
      lab.killPidFile(pf);
    }
    const lease = readFileSync(lf, 'utf8');
    expect(lease).toMatch(/fixed-address 10\.77\.31\.1\d\d;/);
    expect(lease).toContain('option dhcp-server-identifier 10.77.31.1;');
  });

  it('busybox tftp fetches a file byte for byte through port 69 of the helper', async () => {
    expect((await fetchOverTftp(join(lab.dir, 'got.kpxe'))).equals(nbp)).toBe(true);
  });

  it('the helper refuses what it was not started for, and the servers keep running', async () => {
    const probe = lineReader(lab.spawnIn(lab.ns, ['setpriv', `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', 'env', `HOME=${join(lab.dir, 'user')}`, 'node', '--no-deprecation', '--import', 'tsx', '--input-type=module', '-e', refusalScript(join(lab.dir, 'privhelper.sock'))]));
    const line = await probe.waitFor((l) => l.startsWith('['));
    expect(JSON.parse(line)).toEqual([
      'port 22 is not one the helper binds (only 67, 69, 4011)',
      'interface lo is not allowed (the helper was started for dfd-br0)',
    ]);
    expect((await fetchOverTftp(join(lab.dir, 'again.kpxe'))).length).toBe(nbp.length);
  });

  it('run as root, the same servers bind directly and never ask the helper', async () => {
    await lab.stop(serverChild);
    // The servers closed their sockets on the way out and the connection ended: the helper let go of 67 and 69.
    await until(() => (helperLog.stderr().match(/app connection ended/g) ?? []).length >= 2);
    expect(helperLog.stderr().match(/closed UDP \d+ on dfd-br0/g)).toEqual(['closed UDP 67 on dfd-br0', 'closed UDP 69 on dfd-br0']);
    const cfg = { iface: 'dfd-br0', helper: `unix:${join(lab.dir, 'no-such-helper.sock')}`, range: { start: '10.77.31.100', end: '10.77.31.199' }, leaseFile: join(lab.dir, 'root-leases.json'), tftpRoot: join(lab.dir, 'user', 'tftp') };
    server = lineReader(lab.spawnIn(lab.ns, ['node', '--no-deprecation', '--import', 'tsx', 'core/privhelper/testing/run-unprivileged.ts', JSON.stringify(cfg)]));
    const got = JSON.parse(await server.waitFor((l) => l.includes('"ready"') || l.includes('"error"'), 60_000));
    expect(got).toMatchObject({ ready: true, uid: 0, direct67: true, tftpPort: 69, log: [] });
    expect((await fetchOverTftp(join(lab.dir, 'root.kpxe'))).equals(nbp)).toBe(true);
  }, 90_000);
});

function refusalScript(sock: string): string {
  return `
    import { HelperClient } from './core/privhelper/client.ts';
    const c = await HelperClient.connect({ kind: 'unix', path: ${JSON.stringify(sock)} });
    const why = [];
    for (const [port, iface] of [[22, 'dfd-br0'], [67, 'lo']]) await c.open({ port, iface, onMessage() {} }).catch((e) => why.push(e.message.replace(/^.*?: /, '')));
    console.log(JSON.stringify(why));
    c.close();
  `;
}

async function until(ok: () => boolean, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
