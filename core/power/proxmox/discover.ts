/**
 * Every QEMU VM of a Proxmox VE cluster, with the MACs of its NICs, so the control plane can
 * register VMs as machines (they PXE-boot like any other) and power them through PVE.
 */
import { PowerError } from '../driver.ts';
import type { Mac } from '../../shared/mac.ts';
import type { ProxmoxClient } from './proxmox-client.ts';
import { netDevices } from './vm-config.ts';

export interface ProxmoxMachine {
  vmid: number;
  node: string;
  /** Cluster name from /cluster/status; null for a standalone node. */
  cluster: string | null;
  name: string;
  macs: Mac[];
}

export interface DiscoverOptions {
  /** Include VM templates (they cannot be started); default false. */
  includeTemplates?: boolean;
}

export async function discoverProxmoxMachines(client: ProxmoxClient, opts: DiscoverOptions = {}): Promise<ProxmoxMachine[]> {
  const cluster = await clusterName(client);
  const nodes = await client.get<{ node?: unknown; status?: unknown }[]>('/nodes');
  if (!Array.isArray(nodes)) throw new PowerError('proxmox', 'DF_ERR_INTERNAL', 'Proxmox /nodes is not a list');
  const out: ProxmoxMachine[] = [];
  for (const n of nodes) {
    if (typeof n.node !== 'string' || n.status === 'offline') continue; // an offline node cannot answer for its VMs
    const vms = await client.get<{ vmid?: unknown; name?: unknown; template?: unknown }[]>(`/nodes/${encodeURIComponent(n.node)}/qemu`);
    for (const vm of Array.isArray(vms) ? vms : []) {
      const vmid = Number(vm.vmid);
      if (!Number.isInteger(vmid)) continue;
      const config = await client.get<Record<string, unknown>>(`/nodes/${encodeURIComponent(n.node)}/qemu/${vmid}/config`);
      if (!opts.includeTemplates && (vm.template === 1 || config?.template === 1)) continue;
      out.push({
        vmid,
        node: n.node,
        cluster,
        name: typeof config?.name === 'string' ? config.name : typeof vm.name === 'string' ? vm.name : `vm${vmid}`,
        macs: netDevices(config ?? {}).flatMap((d) => (d.mac ? [d.mac] : [])),
      });
    }
  }
  return out.sort((a, b) => a.vmid - b.vmid);
}

async function clusterName(client: ProxmoxClient): Promise<string | null> {
  const status = await client.get<{ type?: unknown; name?: unknown }[]>('/cluster/status');
  const entry = Array.isArray(status) ? status.find((s) => s.type === 'cluster') : undefined;
  return typeof entry?.name === 'string' ? entry.name : null;
}
