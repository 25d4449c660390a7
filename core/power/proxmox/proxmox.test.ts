import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeWithPeers } from '../../testing/peers.ts';
import { makeSelfSignedCert } from '../redfish/testing/test-server.ts';
import { discoverProxmoxMachines } from './discover.ts';
import { checkParams, PveApiSpec } from './openapi-check.ts';
import { ProxmoxClient } from './proxmox-client.ts';
import { ProxmoxVmDriver } from './proxmox-driver.ts';
import { pveOpenApiFile, startProxmoxTestServer, type ProxmoxTestServer, type ProxmoxTestServerOptions } from './testing/test-server.ts';

const TOKEN = 'root@pam!dragonfly';
const SECRET = '0b9a4c1e-6d2f-4a8b-9c3d-5e7f1a2b3c4d';

function lab(): ProxmoxTestServerOptions {
  return {
    cluster: 'rack7',
    tokens: { [TOKEN]: SECRET },
    nodes: [
      {
        node: 'pve1',
        vms: [
          { vmid: 101, running: true, config: { name: 'web-1', boot: 'order=scsi0;ide2;net0', scsi0: 'local-lvm:vm-101-disk-0,size=32G', ide2: 'none,media=cdrom', net0: 'virtio=BC:24:11:AA:00:01,bridge=vmbr0,firewall=1', net1: 'e1000=BC:24:11:AA:00:02,bridge=vmbr1' } },
          { vmid: 100, config: { name: 'db-1', boot: 'order=scsi0', scsi0: 'local-lvm:vm-100-disk-0', net0: 'virtio=BC:24:11:AA:00:10,bridge=vmbr0' } },
          { vmid: 9000, template: true, config: { name: 'tmpl', template: 1, net0: 'virtio=BC:24:11:AA:90:00' } },
        ],
      },
      { node: 'pve2', vms: [{ vmid: 200, config: { name: 'cache-1', scsi0: 'x', net0: 'model=virtio,macaddr=BC:24:11:BB:00:01,bridge=vmbr0' } }] },
      { node: 'pve3', online: false, vms: [{ vmid: 300, config: { name: 'gone', net0: 'virtio=BC:24:11:CC:00:01' } }] },
    ],
  };
}

let server: ProxmoxTestServer;
let client: ProxmoxClient;

describe('Proxmox VE driver against the OpenAPI-checked test server', () => {
  beforeEach(async () => {
    server = await startProxmoxTestServer(lab());
    client = new ProxmoxClient({ baseUrl: server.url, tokenId: TOKEN, secret: SECRET });
  });
  afterEach(async () => {
    client.close();
    await server.close();
  });

  const vm = (vmid: number, node = 'pve1') => new ProxmoxVmDriver(client, { node, vmid, pollMs: 1 });

  it('discovers VMs with node, cluster, name and MACs, skipping templates and offline nodes', async () => {
    expect(await discoverProxmoxMachines(client)).toEqual([
      { vmid: 100, node: 'pve1', cluster: 'rack7', name: 'db-1', macs: ['bc:24:11:aa:00:10'] },
      { vmid: 101, node: 'pve1', cluster: 'rack7', name: 'web-1', macs: ['bc:24:11:aa:00:01', 'bc:24:11:aa:00:02'] },
      { vmid: 200, node: 'pve2', cluster: 'rack7', name: 'cache-1', macs: ['bc:24:11:bb:00:01'] },
    ]);
    expect(server.requests.every((r) => r.status === 200)).toBe(true);
  });

  it('reports cluster null for a standalone node', async () => {
    await server.close();
    server = await startProxmoxTestServer({ ...lab(), cluster: null });
    client = new ProxmoxClient({ baseUrl: server.url, tokenId: TOKEN, secret: SECRET });
    expect((await discoverProxmoxMachines(client))[0].cluster).toBeNull();
  });

  it('powers a VM on and off and reads its status', async () => {
    const d = vm(100);
    expect(await d.status()).toBe('off');
    await d.on();
    expect(await d.status()).toBe('on');
    expect(server.vm(100).running).toBe(true);
    await d.off();
    expect(await d.status()).toBe('off');
    const paths = server.requests.filter((r) => r.method === 'POST').map((r) => r.path);
    expect(paths).toEqual(['/nodes/pve1/qemu/100/status/start', '/nodes/pve1/qemu/100/status/stop']);
    expect(server.requests.some((r) => r.path.includes('/tasks/UPID:pve1:'))).toBe(true);
  });

  it('on() of a running VM sends no start (PVE would refuse it)', async () => {
    await vm(101).on();
    expect(server.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('soft-off, reset and cycle use shutdown, reset, stop+start', async () => {
    const d = vm(101);
    await d.reset();
    await d.cycle();
    await d.softOff();
    expect(await d.status()).toBe('off');
    expect(server.requests.filter((r) => r.method === 'POST').map((r) => r.path.split('/').pop())).toEqual(['reset', 'stop', 'start', 'shutdown']);
  });

  it('a refused action carries PVE\'s message', async () => {
    await expect(vm(100).reset()).rejects.toThrow(/status\/reset failed: HTTP 500 VM 100 not running/);
  });

  it('sets next boot to the network and back to disk, with the config digest', async () => {
    const d = vm(101);
    await d.setNextBoot({ device: 'pxe', persistent: false, uefi: true });
    expect(server.vm(101).config.boot).toBe('order=net0;scsi0;ide2');
    await d.setNextBoot({ device: 'disk', persistent: true, uefi: true });
    expect(server.vm(101).config.boot).toBe('order=scsi0;net0;ide2');
    const puts = server.requests.filter((r) => r.method === 'PUT');
    expect(puts).toHaveLength(2);
    expect(puts[0].params.digest).toMatch(/^[0-9a-f]{40}$/);
  });

  it('rejects a wrong token with DF_ERR_UNAUTHORIZED', async () => {
    const bad = new ProxmoxClient({ baseUrl: server.url, tokenId: TOKEN, secret: 'wrong' });
    await expect(new ProxmoxVmDriver(bad, { node: 'pve1', vmid: 100 }).status()).rejects.toMatchObject({ code: 'DF_ERR_UNAUTHORIZED', protocol: 'proxmox' });
    bad.close();
  });

  it('the server fails a client that strays from the API description', async () => {
    await expect(client.post('/nodes/pve1/qemu/100/status/start', { bogus: 1 })).rejects.toThrow(/HTTP 400 Parameter verification failed\.: bogus: property is not defined/);
    await expect(client.get('/nodes/pve1/qemu/abc/status/current')).rejects.toThrow(/vmid: type check \('integer'\) failed/);
    await expect(client.post('/nodes/pve1/qemu/100/status/current')).rejects.toThrow(/HTTP 501/);
    await expect(client.get('/nodes/pve1/vms')).rejects.toThrow(/HTTP 501 Method 'GET \/nodes\/pve1\/vms' not implemented/);
    await expect(client.put('/nodes/pve1/qemu/100/config', { boot: 'order=net7' })).rejects.toThrow(/device 'net7' does not exist/);
  });
});

describe('OpenAPI checks', () => {
  const spec = PveApiSpec.load(pveOpenApiFile);
  const op = (method: string, p: string) => {
    const m = spec.match(method, p);
    if (!m.ok) throw new Error(m.reason);
    return m;
  };

  it('matches templated paths and tells a missing method from a missing path', () => {
    expect(op('POST', '/nodes/pve1/qemu/100/status/start')).toMatchObject({ template: '/nodes/{node}/qemu/{vmid}/status/start', pathParams: { node: 'pve1', vmid: '100' } });
    expect(spec.match('DELETE', '/nodes')).toEqual({ ok: false, reason: 'no-method' });
    expect(spec.match('GET', '/nope')).toEqual({ ok: false, reason: 'no-path' });
  });

  it('checks required parameters, ranges, net[n] property strings and the boot format', () => {
    const config = op('PUT', '/nodes/pve1/qemu/100/config').operation;
    expect(checkParams(config, { node: 'pve1' })).toEqual({ vmid: 'property is missing and it is not optional' });
    expect(checkParams(config, { node: 'pve1', vmid: '99' })).toEqual({ vmid: 'value must have a minimum value of 100' });
    expect(checkParams(config, { node: 'pve1', vmid: '100', net0: 'virtio=BC:24:11:00:00:01,bridge=vmbr0' })).toEqual({});
    expect(checkParams(config, { node: 'pve1', vmid: '100', net0: 'virtio=not-a-mac' }).net0).toMatch(/macaddr/);
    expect(checkParams(config, { node: 'pve1', vmid: '100', net0: 'virtio=BC:24:11:00:00:01,color=red' }).net0).toMatch(/'color' is not defined/);
    expect(checkParams(config, { node: 'pve1', vmid: '100', boot: 'order=net0;scsi0' })).toEqual({});
    expect(checkParams(config, { node: 'pve1', vmid: '100', boot: 'net0,scsi0' }).boot).toMatch(/pve-qm-boot/);
  });
});

describeWithPeers(['openssl'], 'Proxmox over HTTPS (self-signed, pinned on first use)', () => {
  let dir: string;
  let cert: ReturnType<typeof makeSelfSignedCert>;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfr-pve-'));
    cert = makeSelfSignedCert(dir, 'pve.test');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reports the fingerprint on first use and refuses another certificate', async () => {
    const tlsServer = await startProxmoxTestServer({ ...lab(), tls: cert });
    try {
      const seen: string[] = [];
      const c1 = new ProxmoxClient({ baseUrl: tlsServer.url, tokenId: TOKEN, secret: SECRET, onFingerprint: (f) => seen.push(f) });
      expect(await new ProxmoxVmDriver(c1, { node: 'pve1', vmid: 101 }).status()).toBe('on');
      expect(seen).toEqual([cert.fingerprint]);
      c1.close();
      const c2 = new ProxmoxClient({ baseUrl: tlsServer.url, tokenId: TOKEN, secret: SECRET, fingerprint: 'AA:'.repeat(31) + 'AA' });
      await expect(new ProxmoxVmDriver(c2, { node: 'pve1', vmid: 101 }).status()).rejects.toThrow(`presented ${cert.fingerprint}`);
      c2.close();
    } finally {
      await tlsServer.close();
    }
  });
});
