import { join } from 'node:path';
import type { ServiceHealth } from '../api/system-plugin.ts';
import { bindToInterface, interfaceIpv4 } from '../dhcp/bind-to-interface.ts';
import { bootPolicyFromUrls } from '../dhcp/boot-policy.ts';
import type { DhcpEvent } from '../dhcp/events.ts';
import { openFileLeaseStore } from '../dhcp/lease-store-file.ts';
import { probeExistingDhcp } from '../dhcp/probe.ts';
import { createDhcpServer, type DhcpServer } from '../dhcp/server.ts';
import type { Registrar } from '../inventory/registration.ts';
import { isDragonflyError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { createTftpServer, type TftpEvent, type TftpServer } from '../tftp/server.ts';
import type { NetworkSettings } from './network-settings.ts';
import { segmentOf, startSwarmDhcp } from '../swarm/swarm-service.ts';
import type { SwarmDhcp } from '../swarm/swarm-dhcp.ts';
import type { LeaseStore } from '../dhcp/lease-store.ts';
import type { ServiceSockets } from '../privhelper/service-sockets.ts';

export interface NetworkServicesDeps {
  registrar: Registrar;
  logger: Logger;
  dataDir: string;
  /** Directory of the iPXE binaries served over TFTP. */
  ipxeDir: string;
  serverUrl: () => string;
  /** Seconds the existing-DHCP probe listens before full mode starts; default 3; 0 skips it. */
  probeSeconds?: number;
  /** Start full mode even when another DHCP server answers; default false (proxy is used instead). */
  forceFull?: boolean;
  /**
   * Swarm: with etcd endpoints, full-mode DHCP runs only on the instance elected leader of
   * the segment (etcd lease, TTL `swarmTtlSeconds`), with leases kept in etcd by compare-and-set.
   */
  swarm?: { etcdEndpoints: string[]; ttlSeconds?: number };
  /** Socket factories for DHCP and TFTP; default: bind directly (the privileged helper's when configured). */
  sockets?: ServiceSockets;
}

/** The boot URLs the DHCP server hands to iPXE and UEFI HTTP clients. */
export function bootUrls(serverUrl: string) {
  return { ipxeScriptUrl: `${serverUrl}/boot/ipxe`, httpBootBase: `${serverUrl}/boot/files/` };
}

const BOOT_STEP: Partial<Record<DhcpEvent['type'], string>> = { offer: 'dhcp', ack: 'dhcp' };

/**
 * DHCP and TFTP on the provisioning interface. They start, stop and restart as settings
 * change; a failure to bind is kept as the service's health (with the fix), never thrown,
 * so the API and UI keep running.
 */
export class NetworkServices {
  private dhcp: DhcpServer | undefined;
  private swarm: SwarmDhcp | undefined;
  private tftp: TftpServer | undefined;
  private dhcpHealth: ServiceHealth = { ok: true, detail: 'off' };
  private tftpHealth: ServiceHealth = { ok: true, detail: 'off' };
  /** Address → MAC from DHCP, so TFTP fetches (which only know the address) land on the right timeline. */
  private readonly macByIp = new Map<string, string>();

  constructor(private readonly deps: NetworkServicesDeps) {}

  health(): Record<string, ServiceHealth> {
    return { dhcp: this.dhcpHealth, tftp: this.tftpHealth };
  }

  async apply(settings: NetworkSettings): Promise<void> {
    await this.close();
    const iface = settings.interface;
    if (!iface) {
      this.dhcpHealth = { ok: true, detail: 'off: no provisioning interface chosen' };
      this.tftpHealth = { ok: true, detail: 'off: no provisioning interface chosen' };
      return;
    }
    const addr = interfaceIpv4(iface);
    if (!addr) {
      const error = `interface "${iface}" has no IPv4 address; choose the interface on the provisioning network`;
      this.dhcpHealth = { ok: false, error };
      this.tftpHealth = { ok: false, error };
      return;
    }
    await this.startTftp(settings, iface, addr.address);
    await this.startDhcp(settings, iface);
  }

  private async startDhcp(s: NetworkSettings, iface: string): Promise<void> {
    if (s.dhcpMode === 'off') {
      this.dhcpHealth = { ok: true, detail: 'off' };
      return;
    }
    let mode = s.dhcpMode;
    let note = '';
    if (mode === 'full' && this.deps.swarm) {
      this.startSwarm(s, iface);
      return;
    }
    if (mode === 'full' && !this.deps.forceFull && (this.deps.probeSeconds ?? 3) > 0) {
      const others = await this.probeDhcp(iface).catch(() => ({ found: false, servers: [] }));
      if (others.found) {
        mode = 'proxy';
        note = `; another DHCP server answers (${others.servers.map((x) => x.serverId).join(', ')}), so proxy mode is used instead of full`;
        this.deps.logger.warn({ iface, servers: others.servers }, 'existing DHCP server found: using proxyDHCP');
      }
    }
    const server = this.makeServer(s, iface, mode, mode === 'full' ? await openFileLeaseStore(join(this.deps.dataDir, 'dhcp-leases.json')) : undefined);
    try {
      await server.start();
      this.dhcp = server;
      this.dhcpHealth = { ok: true, detail: `${mode} on ${iface}${note}` };
    } catch (e) {
      await server.close().catch(() => {});
      this.dhcpHealth = { ok: false, detail: `${mode} on ${iface}`, error: isDragonflyError(e) ? e.message : `DHCP failed to start: ${(e as Error).message}` };
      this.deps.logger.error({ err: this.dhcpHealth.error }, 'DHCP not running');
    }
  }

  private makeServer(s: NetworkSettings, iface: string, mode: 'full' | 'proxy', leaseStore: LeaseStore | undefined): DhcpServer {
    return createDhcpServer({
      interface: iface,
      mode,
      range: s.range,
      router: s.router,
      dns: s.dns,
      leaseSeconds: s.leaseSeconds,
      leaseStore,
      bootPolicy: (client, mac, req) => bootPolicyFromUrls(bootUrls(this.deps.serverUrl()))(client, mac, req),
      logger: this.deps.logger,
      socketFactory: this.deps.sockets?.dhcp,
      onEvent: (e) => this.onDhcpEvent(e),
    });
  }

  /** Several instances on one etcd: only the segment's leader answers (no probe: the others are standbys). */
  private startSwarm(s: NetworkSettings, iface: string): void {
    const addr = interfaceIpv4(iface)!;
    this.dhcpHealth = { ok: true, detail: `swarm standby, full on ${iface}: campaigning` };
    this.swarm = startSwarmDhcp({
      endpoints: this.deps.swarm!.etcdEndpoints,
      segment: segmentOf(addr.address, addr.netmask),
      ttlSeconds: this.deps.swarm!.ttlSeconds,
      logger: this.deps.logger,
      createServer: (leaseStore) => this.makeServer(s, iface, 'full', leaseStore),
      onStateChange: (st) => (this.dhcpHealth = { ok: true, detail: `swarm ${st.serving ? 'leader, serving' : 'standby'}, full on ${iface}: ${st.detail}` }),
    });
  }

  private async startTftp(s: NetworkSettings, iface: string, address: string): Promise<void> {
    if (!s.tftpPort) {
      this.tftpHealth = { ok: true, detail: 'off' };
      return;
    }
    try {
      this.tftp = await createTftpServer({
        address,
        port: s.tftpPort,
        root: this.deps.ipxeDir,
        ...(this.deps.sockets?.tftp(iface) ?? { bindSocket: (socket) => bindToInterface(socket, iface) }),
        logger: this.deps.logger,
        onEvent: (e) => this.onTftpEvent(e),
      });
      this.tftpHealth = { ok: true, detail: `${address}:${this.tftp.address.port}` };
    } catch (e) {
      this.tftpHealth = { ok: false, error: isDragonflyError(e) ? e.message : `TFTP failed to start: ${(e as Error).message}` };
      this.deps.logger.error({ err: this.tftpHealth.error }, 'TFTP not running');
    }
  }

  private onDhcpEvent(e: DhcpEvent): void {
    if (e.ip && e.ip !== '0.0.0.0') this.macByIp.set(e.ip, e.mac);
    const step = BOOT_STEP[e.type];
    if (!step) return;
    const detail = `${e.type} ${e.mode}${e.ip && e.ip !== '0.0.0.0' ? ` ${e.ip}` : ''}${e.arch ? ` ${e.arch}` : ''}${e.bootfile ? ` → ${e.bootfile}` : ''}`;
    void this.deps.registrar.recordBootStep(e.mac, step, detail).catch(() => {});
  }

  private onTftpEvent(e: TftpEvent): void {
    if (e.type !== 'transfer-done') return;
    const mac = this.macByIp.get(e.client.address);
    if (mac) void this.deps.registrar.recordBootStep(mac, 'tftp', `${e.path} ${e.bytes} bytes`).catch(() => {});
  }

  async probeDhcp(iface: string): Promise<{ found: boolean; servers: Array<{ serverId: string; offeredAddress?: string }> }> {
    const offers = await probeExistingDhcp(iface, (this.deps.probeSeconds ?? 3) * 1000);
    return { found: offers.length > 0, servers: offers.map((o) => ({ serverId: o.serverId, offeredAddress: o.yiaddr })) };
  }

  async close(): Promise<void> {
    const d = this.dhcp;
    const t = this.tftp;
    const sw = this.swarm;
    this.dhcp = undefined;
    this.tftp = undefined;
    this.swarm = undefined;
    await sw?.close();
    await d?.close();
    await t?.close();
  }
}
