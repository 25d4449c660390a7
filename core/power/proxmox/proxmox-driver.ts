/**
 * One Proxmox VE virtual machine as a PowerDriver: power through
 * /nodes/{node}/qemu/{vmid}/status/*, next boot through the VM's `boot` order.
 * Power actions are PVE tasks (UPID); the driver waits for the task to end and reports its
 * exit status, so "on() returned" means the VM really started.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PowerError, type NextBoot, type PowerDriver, type PowerState } from '../driver.ts';
import { discardLogger, type Logger } from '../../shared/logger.ts';
import type { ProxmoxClient } from './proxmox-client.ts';
import { bootValueFor } from './vm-config.ts';

export interface ProxmoxVmOptions {
  node: string;
  vmid: number;
  /** How long to wait for a power task; ms, default 120000. */
  taskTimeoutMs?: number;
  /** Task poll period; ms, default 500. */
  pollMs?: number;
  /** close() also closes the client; default false (clients are shared between VMs). */
  ownsClient?: boolean;
  logger?: Logger;
}

interface TaskStatus {
  status?: string;
  exitstatus?: string;
}

export class ProxmoxVmDriver implements PowerDriver {
  readonly protocol = 'proxmox' as const;
  private readonly client: ProxmoxClient;
  private readonly opts: ProxmoxVmOptions;
  private readonly log: Logger;
  private readonly base: string;

  constructor(client: ProxmoxClient, opts: ProxmoxVmOptions) {
    this.client = client;
    this.opts = opts;
    this.base = `/nodes/${encodeURIComponent(opts.node)}/qemu/${opts.vmid}`;
    this.log = (opts.logger ?? discardLogger).child({ driver: 'proxmox', node: opts.node, vmid: opts.vmid });
  }

  async status(): Promise<PowerState> {
    const cur = await this.client.get<{ status?: string }>(`${this.base}/status/current`);
    if (cur?.status === 'running') return 'on';
    if (cur?.status === 'stopped') return 'off';
    return 'unknown';
  }

  /** PVE answers an error to `start` on a running VM; on() is a no-op then, as the interface says. */
  async on(): Promise<void> {
    if ((await this.status()) === 'on') return;
    await this.task('start');
  }
  async off(): Promise<void> {
    await this.task('stop');
  }
  /** ACPI shutdown; returns once PVE accepted the request (the guest may take its time). */
  async softOff(): Promise<void> {
    await this.client.post<string>(`${this.base}/status/shutdown`);
  }
  async cycle(): Promise<void> {
    if ((await this.status()) === 'on') await this.task('stop');
    await this.task('start');
  }
  async reset(): Promise<void> {
    await this.task('reset');
  }

  /**
   * PVE has no one-shot boot override, so `persistent: false` also changes the stored order;
   * the caller sets disk again after provisioning. `uefi` is a property of the VM (bios=ovmf)
   * and is not changed here.
   */
  async setNextBoot(nb: NextBoot): Promise<void> {
    const config = await this.client.get<Record<string, unknown>>(`${this.base}/config`);
    const boot = bootValueFor(config ?? {}, nb.device);
    if (typeof boot !== 'string') throw new PowerError('proxmox', 'DF_ERR_UNAVAILABLE', `cannot set next boot of VM ${this.opts.vmid}: ${boot.error}`);
    if (config.boot === boot) return;
    // digest: PVE refuses the write if the config changed since we read it.
    const digest = typeof config.digest === 'string' ? config.digest : undefined;
    this.log.info({ boot }, 'setting Proxmox boot order');
    await this.client.put(`${this.base}/config`, { boot, digest });
  }

  async close(): Promise<void> {
    if (this.opts.ownsClient) this.client.close();
  }

  private async task(action: 'start' | 'stop' | 'reset'): Promise<void> {
    const upid = await this.client.post<string>(`${this.base}/status/${action}`);
    this.log.info({ action, upid }, 'Proxmox power task');
    if (typeof upid !== 'string' || !upid.startsWith('UPID:')) return; // older PVE answered null for some actions
    await this.waitTask(upid, action);
  }

  private async waitTask(upid: string, action: string): Promise<void> {
    const deadline = Date.now() + (this.opts.taskTimeoutMs ?? 120_000);
    for (;;) {
      const st = await this.client.get<TaskStatus>(`/nodes/${encodeURIComponent(this.opts.node)}/tasks/${encodeURIComponent(upid)}/status`);
      if (st?.status === 'stopped') {
        if (st.exitstatus !== 'OK') {
          throw new PowerError('proxmox', 'DF_ERR_UNAVAILABLE', `Proxmox ${action} of VM ${this.opts.vmid} failed: ${st.exitstatus ?? 'no exit status'}`);
        }
        return;
      }
      if (Date.now() > deadline) throw new PowerError('proxmox', 'DF_ERR_TIMEOUT', `Proxmox ${action} of VM ${this.opts.vmid} still running (task ${upid})`);
      await sleep(this.opts.pollMs ?? 500);
    }
  }
}
