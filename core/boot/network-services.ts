/**
 * DHCP and TFTP on the provisioning interface, and the address machines are sent to. They
 * start, stop and restart as settings change; a failure to bind is kept as the service's
 * health (with the fix), never thrown, so the API and UI keep running.
 */
import { join } from 'node:path';
import { interfaceIpv4 as osInterfaceIpv4, bindToInterface } from '../dhcp/bind-to-interface.ts';
import { openFileLeaseStore } from '../dhcp/lease-store-file.ts';
import type { LeaseStore } from '../dhcp/lease-store.ts';
import { probeExistingDhcp } from '../dhcp/probe.ts';
import { createDhcpServer, type DhcpServer, type DhcpServerOptions } from '../dhcp/server.ts';
import { isDragonflyError } from '../shared/errors.ts';
import type { AnsweringDhcpMode, DhcpMode } from '../shared/dhcp-mode.ts';
import type { Mac } from '../shared/mac.ts';
import { discardLogger, type Logger } from '../shared/logger.ts';
import { createTftpServer, type TftpResolver, type TftpServer, type TftpServerOptions } from '../tftp/server.ts';
import { advertisedBase, type AdvertiseInput } from './advertise.ts';
import { bootPolicy, type UefiChain } from './bootfile.ts';
import { BootTimeline, type BootStepSink } from './timeline.ts';
import { bootUrls, type BootUrls } from './urls.ts';

/** One service's state for /api/v1/status (same shape as the API's ServiceHealth). */
export interface ServiceHealth {
  ok: boolean;
  detail?: string;
  /** The fix, in words, when the service could not start (e.g. missing privileges). */
  error?: string;
}

/** The part of the network settings these services read (core/app's NetworkSettings fits). */
export interface ProvisioningSettings {
  interface?: string;
  /** Machines are sent to this address instead of the interface's own. */
  advertiseAddress?: string;
  dhcpMode: DhcpMode;
  range?: { start: string; end: string };
  router?: string;
  dns: string[];
  leaseSeconds: number;
  /** 0: TFTP off. */
  tftpPort: number;
}

export interface InterfaceAddress {
  address: string;
  netmask: string;
}

/** Full-mode DHCP shared by several instances (core/swarm); core/app passes it in. */
export type SwarmStarter = (o: {
  iface: string;
  address: InterfaceAddress;
  createServer: (leaseStore: LeaseStore) => DhcpServer;
  onState: (serving: boolean, detail: string) => void;
}) => { close(): Promise<void> };

/** The servers and host facts, each a seam with the real one as default, so tests use fakes. */
export interface NetworkSeams {
  createDhcp?: (o: DhcpServerOptions) => DhcpServer;
  createTftp?: (o: TftpServerOptions) => Promise<TftpServer>;
  /** Other DHCP servers answering on the interface (server ids). */
  probe?: (iface: string, timeoutMs: number) => Promise<Array<{ serverId: string; yiaddr?: string }>>;
  interfaceIpv4?: (iface: string) => InterfaceAddress | undefined;
  openLeaseStore?: (path: string) => Promise<LeaseStore>;
}

export interface NetworkServicesDeps extends NetworkSeams {
  /** Where boot steps are recorded (the inventory's Registrar). */
  steps: BootStepSink;
  /** Shared with the HTTP boot endpoints; default a new one on `steps`. */
  timeline?: BootTimeline;
  logger?: Logger;
  dataDir: string;
  /** Directory of the iPXE binaries served over TFTP. */
  ipxeDir: string;
  /** How a UEFI x64 PXE client boots (bootfile.ts), asked per MAC and DHCP mode at each request; default 'ipxe'. */
  uefiChain?: (mac: Mac, dhcp: AnsweringDhcpMode, viaHttp: boolean) => UefiChain;
  /** Generated TFTP content, asked before ipxeDir: the Secure Boot chain (secure-boot-tftp.ts). */
  tftpResolve?: TftpResolver;
  /** The HTTP listener: address it is bound to and its port (read at each apply: known only once listening). */
  http: () => Omit<AdvertiseInput, 'advertiseAddress' | 'interfaceAddress'>;
  /** Seconds the existing-DHCP probe listens before full mode starts; default 3; 0 skips it. */
  probeSeconds?: number;
  /** Start full mode even when another DHCP server answers; default false (proxy is used instead). */
  forceFull?: boolean;
  /** With etcd: full-mode DHCP runs only on the segment's elected leader. */
  swarm?: SwarmStarter;
  /** Socket factories for DHCP, the probe and TFTP; default: bind directly (core/app passes the privileged helper's when configured). */
  sockets?: {
    dhcp: DhcpServerOptions['socketFactory'];
    probe?: DhcpServerOptions['socketFactory'];
    tftp(iface: string): Pick<TftpServerOptions, 'socketFactory' | 'bindSocket'>;
  };
}

export class NetworkServices {
  private dhcp: DhcpServer | undefined;
  private swarm: { close(): Promise<void> } | undefined;
  private tftp: TftpServer | undefined;
  private dhcpHealth: ServiceHealth = { ok: true, detail: 'off' };
  private tftpHealth: ServiceHealth = { ok: true, detail: 'off' };
  private urls: BootUrls | undefined;
  readonly timeline: BootTimeline;
  private readonly log: Logger;

  constructor(private readonly deps: NetworkServicesDeps) {
    this.timeline = deps.timeline ?? new BootTimeline(deps.steps);
    this.log = deps.logger ?? discardLogger;
  }

  /** Base URL machines are sent to, e.g. http://10.77.0.1:8080; follows the settings. */
  serverUrl(): string {
    return this.currentUrls().base;
  }

  private currentUrls(): BootUrls {
    return this.urls ?? bootUrls(advertisedBase(this.deps.http()));
  }

  health(): Record<string, ServiceHealth> {
    return { dhcp: this.dhcpHealth, tftp: this.tftpHealth };
  }

  /**
   * (Re)starts everything for these settings: the advertised URL is recomputed first, so
   * every URL handed out from now on (DHCP boot file, scripts, agent) names the new address,
   * and full mode probes for another DHCP server again.
   */
  async apply(settings: ProvisioningSettings): Promise<void> {
    await this.close();
    const iface = settings.interface;
    const addr = iface ? this.ipv4Of(iface) : undefined;
    this.urls = bootUrls(advertisedBase({ ...this.deps.http(), advertiseAddress: settings.advertiseAddress, interfaceAddress: addr?.address }));
    this.log.info({ serverUrl: this.urls.base, iface }, 'machines are sent to this address');
    if (!iface) return this.allOff('off: no provisioning interface chosen');
    if (!addr) {
      const error = `interface "${iface}" has no IPv4 address; choose the interface on the provisioning network`;
      this.dhcpHealth = { ok: false, error };
      this.tftpHealth = { ok: false, error };
      return;
    }
    await this.startTftp(settings, iface, addr.address);
    await this.startDhcp(settings, iface, addr);
  }

  async probeDhcp(iface: string): Promise<{ found: boolean; servers: Array<{ serverId: string; offeredAddress?: string }> }> {
    const probe = this.deps.probe ?? ((i: string, ms: number) => probeExistingDhcp(i, ms, { socketFactory: this.deps.sockets?.probe }));
    const offers = await probe(iface, (this.deps.probeSeconds ?? 3) * 1000);
    return { found: offers.length > 0, servers: offers.map((o) => ({ serverId: o.serverId, offeredAddress: o.yiaddr })) };
  }

  async close(): Promise<void> {
    const [d, t, sw] = [this.dhcp, this.tftp, this.swarm];
    this.dhcp = this.tftp = this.swarm = undefined;
    await sw?.close();
    await d?.close();
    await t?.close();
  }

  private allOff(detail: string): void {
    this.dhcpHealth = { ok: true, detail };
    this.tftpHealth = { ok: true, detail };
  }

  private ipv4Of(iface: string): InterfaceAddress | undefined {
    return (this.deps.interfaceIpv4 ?? osInterfaceIpv4)(iface);
  }

  private async startDhcp(s: ProvisioningSettings, iface: string, addr: InterfaceAddress): Promise<void> {
    if (s.dhcpMode === 'off') {
      this.dhcpHealth = { ok: true, detail: 'off' };
      return;
    }
    if (s.dhcpMode === 'full' && this.deps.swarm) return this.startSwarm(s, iface, addr);
    const { mode, note } = s.dhcpMode === 'full' ? await this.fullOrProxy(iface) : { mode: s.dhcpMode, note: '' };
    const leases = mode === 'full' ? await (this.deps.openLeaseStore ?? openFileLeaseStore)(join(this.deps.dataDir, 'dhcp-leases.json')) : undefined;
    const server = this.makeServer(s, iface, mode, leases);
    try {
      await server.start();
      this.dhcp = server;
      this.dhcpHealth = { ok: true, detail: `${mode} on ${iface}${note}` };
    } catch (e) {
      await server.close().catch(() => {});
      this.dhcpHealth = { ok: false, detail: `${mode} on ${iface}`, error: isDragonflyError(e) ? e.message : `DHCP failed to start: ${(e as Error).message}` };
      this.log.error({ err: this.dhcpHealth.error }, 'DHCP not running');
    }
  }

  /** Full mode next to another DHCP server would hand out conflicting addresses: use proxy instead. */
  private async fullOrProxy(iface: string): Promise<{ mode: AnsweringDhcpMode; note: string }> {
    if (this.deps.forceFull || (this.deps.probeSeconds ?? 3) <= 0) return { mode: 'full', note: '' };
    let others: Awaited<ReturnType<NetworkServices['probeDhcp']>>;
    try {
      others = await this.probeDhcp(iface);
    } catch (e) {
      // Not knowing is not "nobody answers": full mode beside another server hands out conflicting addresses.
      const why = (e as Error).message;
      this.log.warn({ iface, err: why }, 'existing-DHCP probe failed: using proxyDHCP');
      return { mode: 'proxy', note: `; the check for another DHCP server could not run (${why}), so proxy mode is used instead of full (forceFullDhcp starts full mode anyway)` };
    }
    if (!others.found) return { mode: 'full', note: '' };
    this.log.warn({ iface, servers: others.servers }, 'existing DHCP server found: using proxyDHCP');
    const ids = others.servers.map((x) => x.serverId).join(', ');
    return { mode: 'proxy', note: `; another DHCP server answers (${ids}), so proxy mode is used instead of full` };
  }

  private makeServer(s: ProvisioningSettings, iface: string, mode: AnsweringDhcpMode, leaseStore: LeaseStore | undefined): DhcpServer {
    return (this.deps.createDhcp ?? createDhcpServer)({
      interface: iface,
      mode,
      range: s.range,
      router: s.router,
      dns: s.dns,
      leaseSeconds: s.leaseSeconds,
      leaseStore,
      bootPolicy: bootPolicy(() => this.currentUrls(), undefined, (mac, viaHttp) => this.deps.uefiChain?.(mac, mode, viaHttp) ?? 'ipxe'),
      logger: this.log,
      socketFactory: this.deps.sockets?.dhcp,
      onEvent: (e) => this.timeline.dhcp(e),
    });
  }

  private startSwarm(s: ProvisioningSettings, iface: string, address: InterfaceAddress): void {
    this.dhcpHealth = { ok: true, detail: `swarm standby, full on ${iface}: campaigning` };
    this.swarm = this.deps.swarm!({
      iface,
      address,
      createServer: (leaseStore) => this.makeServer(s, iface, 'full', leaseStore),
      onState: (serving, detail) => (this.dhcpHealth = { ok: true, detail: `swarm ${serving ? 'leader, serving' : 'standby'}, full on ${iface}: ${detail}` }),
    });
  }

  private async startTftp(s: ProvisioningSettings, iface: string, address: string): Promise<void> {
    if (!s.tftpPort) {
      this.tftpHealth = { ok: true, detail: 'off' };
      return;
    }
    try {
      this.tftp = await (this.deps.createTftp ?? createTftpServer)({
        address,
        port: s.tftpPort,
        root: this.deps.ipxeDir,
        ...(this.deps.tftpResolve ? { resolve: this.deps.tftpResolve } : {}),
        ...(this.deps.sockets?.tftp(iface) ?? { bindSocket: (socket) => bindToInterface(socket, iface) }),
        logger: this.log,
        onEvent: (e) => this.timeline.tftp(e),
      });
      this.tftpHealth = { ok: true, detail: `${address}:${this.tftp.address.port}` };
    } catch (e) {
      this.tftpHealth = { ok: false, error: isDragonflyError(e) ? e.message : `TFTP failed to start: ${(e as Error).message}` };
      this.log.error({ err: this.tftpHealth.error }, 'TFTP not running');
    }
  }
}
