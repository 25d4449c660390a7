import { API_VERSION } from '../model/meta.ts';
import { initialState } from '../model/lifecycle.ts';
import type { Hardware } from '../model/hardware.ts';
import { nameSlug, uniqueMemorableName } from '../model/names.ts';
import { discoverProxmoxMachines } from '../power/proxmox/discover.ts';
import { ProxmoxClient } from '../power/proxmox/proxmox-client.ts';
import type { SecretStore } from '../power/secrets/secret-store.ts';
import type { HardwareIndex } from '../inventory/hardware-index.ts';
import { DragonflyError, isDragonflyError } from '../shared/errors.ts';
import { mutate } from '../store/mutate.ts';
import type { Store } from '../store/store.ts';

export interface ProxmoxImportResult {
  vmid: number;
  node: string;
  machine?: string;
  action?: 'created' | 'updated';
  error?: { code: string; message: string };
}

/**
 * Registers every Proxmox VM as a machine beside bare metal: same memorable name from its
 * first MAC, a `proxmox` BMC reference (node, vmid) so power and next-boot go through the API.
 */
export async function importProxmoxVms(
  deps: { store: Store; index: HardwareIndex; credentials: SecretStore },
  req: { url: string; credentialRef: string },
): Promise<ProxmoxImportResult[]> {
  const c = deps.credentials.get(req.credentialRef);
  if (!c) throw new DragonflyError('DF_ERR_INVALID', `credential "${req.credentialRef}" does not exist`);
  const client = new ProxmoxClient({
    baseUrl: req.url,
    tokenId: c.username ?? '',
    secret: c.secret,
    fingerprint: c.fingerprint,
    onFingerprint: (fp) => void Promise.resolve(deps.credentials.set(req.credentialRef, { ...c, fingerprint: fp })).catch(() => {}), // pinned again next time
  });
  const vms = await discoverProxmoxMachines(client);
  const out: ProxmoxImportResult[] = [];
  for (const vm of vms) {
    try {
      if (vm.macs.length === 0) throw new DragonflyError('DF_ERR_INVALID', `VM ${vm.vmid} has no network device, so it cannot network-boot`);
      const bmc = { protocol: 'proxmox' as const, address: req.url, credentialRef: req.credentialRef, options: { node: vm.node, vmid: String(vm.vmid) } };
      const labels = { 'dragonfly.computer/proxmox-node': vm.node, 'dragonfly.computer/proxmox-vmid': String(vm.vmid), ...(vm.cluster ? { 'dragonfly.computer/proxmox-cluster': vm.cluster } : {}) };
      const existing = vm.macs.map((m) => deps.index.nameByMac(m)).find(Boolean);
      if (existing) {
        await mutate<Hardware>(deps.store, 'Hardware', existing, (h) => {
          h.spec.bmc = bmc;
          h.spec.macs = [...new Set([...h.spec.macs, ...vm.macs])];
          h.metadata.labels = { ...(h.metadata.labels ?? {}), ...labels };
          return h;
        });
        out.push({ vmid: vm.vmid, node: vm.node, machine: existing, action: 'updated' });
        continue;
      }
      const displayName = uniqueMemorableName(vm.macs[0], (n) => deps.index.isDisplayNameTaken(n));
      const created = await deps.store.create<Hardware>({
        apiVersion: API_VERSION,
        kind: 'Hardware',
        metadata: { name: nameSlug(displayName), labels },
        spec: { macs: vm.macs, displayName, bmc, tags: ['proxmox-vm'] },
        status: { state: initialState },
      });
      deps.index.put(created);
      out.push({ vmid: vm.vmid, node: vm.node, machine: created.metadata.name, action: 'created' });
    } catch (e) {
      out.push({ vmid: vm.vmid, node: vm.node, error: { code: isDragonflyError(e) ? e.code : 'DF_ERR_INTERNAL', message: (e as Error).message } });
    }
  }
  return out;
}
