import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HardwareIndex } from '../inventory/hardware-index.ts';
import type { Hardware } from '../model/hardware.ts';
import { startProxmoxTestServer, type ProxmoxTestServer } from '../power/proxmox/testing/test-server.ts';
import { CredentialStore } from '../power/secrets/credential-store.ts';
import { SecretBox } from '../power/secrets/secret-box.ts';
import { discardLogger } from '../shared/logger.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { PowerControl } from './power-control.ts';
import { importProxmoxVms } from './proxmox-import.ts';

// No Proxmox VE can run here: the test server follows core/testing/fixtures/proxmox/pve-openapi.json
// and refuses any request that description does not allow.
describe('Proxmox VMs become machines beside bare metal (against the OpenAPI-checked test server)', () => {
  let pve: ProxmoxTestServer;
  let dir: string;
  const store = createMemoryStore();
  const index = new HardwareIndex(store);
  let credentials: CredentialStore;

  beforeAll(async () => {
    pve = await startProxmoxTestServer({
      cluster: 'lab',
      tokens: { 'root@pam!dragonfly': 's3cret-uuid' },
      nodes: [
        { node: 'pve1', vms: [{ vmid: 101, config: { name: 'web1', net0: 'virtio=BC:24:11:00:00:01,bridge=vmbr0', scsi0: 'local-lvm:vm-101-disk-0,size=8G', boot: 'order=scsi0;net0' } }] },
        { node: 'pve2', vms: [{ vmid: 102, running: true, config: { name: 'db1', net0: 'virtio=BC:24:11:00:00:02,bridge=vmbr0', boot: 'order=net0' } }] },
      ],
    });
    dir = mkdtempSync(join(tmpdir(), 'df-pve-'));
    credentials = new CredentialStore(join(dir, 'c.json'), new SecretBox(randomBytes(32)));
    credentials.set('pve', { username: 'root@pam!dragonfly', secret: 's3cret-uuid' });
    await index.start();
  });
  afterAll(async () => {
    await pve.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers each VM with its MACs and a proxmox BMC reference; importing again updates, never duplicates', async () => {
    const first = await importProxmoxVms({ store, index, credentials }, { url: pve.url, credentialRef: 'pve' });
    expect(first.map((r) => r.action)).toEqual(['created', 'created']);
    const again = await importProxmoxVms({ store, index, credentials }, { url: pve.url, credentialRef: 'pve' });
    expect(again.map((r) => r.action)).toEqual(['updated', 'updated']);
    const { items } = await store.list<Hardware>('Hardware');
    expect(items).toHaveLength(2);
    const web = items.find((h) => h.spec.macs.includes('bc:24:11:00:00:01'))!;
    expect(web.spec.bmc).toMatchObject({ protocol: 'proxmox', options: { node: 'pve1', vmid: '101' } });
    expect(web.metadata.labels?.['dragonfly.computer/proxmox-cluster']).toBe('lab');
  });

  it('powers a VM through the Proxmox API and sets its next boot to the network', async () => {
    const power = new PowerControl(store, credentials, discardLogger);
    const web = (await store.list<Hardware>('Hardware')).items.find((h) => h.spec.macs.includes('bc:24:11:00:00:01'))!;
    expect((await power.act(web.metadata.name, 'on')).state).toBe('on');
    expect(pve.vm(101).running).toBe(true);
    await power.bootIntoProvisioning(web);
    expect(String(pve.vm(101).config.boot)).toMatch(/^order=net0/);
  });
});
