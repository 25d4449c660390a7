import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthService } from '../auth/auth-service.ts';
import { buildApi, type Api } from '../api/server.ts';
import type { StatusReport, ServiceHealth } from '../api/system-plugin.ts';
import { HardwareIndex } from '../inventory/hardware-index.ts';
import { Registrar } from '../inventory/registration.ts';
import { markLostAgents } from '../inventory/liveness.ts';
import type { Hardware } from '../model/hardware.ts';
import type { Logger } from '../shared/logger.ts';
import { openStore } from '../store/backend.ts';
import type { Store } from '../store/store.ts';
import { WorkflowService, type Notification } from '../workflow/workflow-service.ts';
import { defaults, type ControlPlaneConfig } from './config.ts';
import { createLogger } from './logging.ts';
import { loadNetworkSettings, saveNetworkSettings, validateNetworkSettings, type NetworkSettings } from './network-settings.ts';
import { NetworkServices } from './network-services.ts';
import { PowerControl } from './power-control.ts';
import { importProxmoxVms } from './proxmox-import.ts';
import { ImageCache } from '../images/cache.ts';
import { imageSpecsOf } from '../images/rewrite.ts';
import { CredentialStore } from '../power/secrets/credential-store.ts';
import { FileKeyProvider, type KeyProvider } from '../power/secrets/key-provider.ts';
import { SecretBox } from '../power/secrets/secret-box.ts';
import { ConsoleHub } from '../power/console-hub.ts';
import { BootConsoleLogs } from '../power/boot-console-log.ts';
import { consoleOpener, recordProvisioningConsoles } from './console-control.ts';

export const VERSION = '0.1.0';
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ControlPlane {
  /** Base URL of the API and UI, e.g. http://127.0.0.1:8080 */
  url: string;
  config: ControlPlaneConfig;
  store: Store;
  auth: AuthService;
  workflows: WorkflowService;
  api: Api;
  /** Set only on the very first start: the one-time admin password. */
  initialPassword?: string;
  /** Notifications (machine Ready / failed), for the tray and desktop notifications. */
  events: EventEmitter<{ notification: [Notification] }>;
  /** A session token for the operator at this desktop (no password typed). */
  adminSession(): { token: string; expiresAt: string };
  status(): Promise<StatusReport>;
  close(): Promise<void>;
}

function firstIpv4(iface?: string): string | undefined {
  const all = networkInterfaces();
  const lists = iface ? [all[iface] ?? []] : Object.values(all);
  for (const list of lists) for (const a of list ?? []) if (a.family === 'IPv4' && (iface || !a.internal)) return a.address;
  return undefined;
}

/** The one place that wires the control plane together (DESIGN.md §3). */
export interface ControlPlaneExtras {
  logger?: Logger;
  /** Where the key for secrets at rest comes from; default a 0600 key file in the data dir. The desktop app passes one wrapped by the OS keychain. */
  keyProvider?: KeyProvider;
}

export async function createControlPlane(partial: Partial<ControlPlaneConfig> & ControlPlaneExtras = {}): Promise<ControlPlane> {
  const config: ControlPlaneConfig = { ...defaults(), ...stripUndefined(partial) };
  const log = partial.logger ?? createLogger(config.logLevel);
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });

  const store = await openStore({ backend: config.backend, dataDir: config.dataDir, etcdEndpoints: config.etcdEndpoints, logger: log });
  const cleanup: Array<() => Promise<void> | void> = [() => store.close()];
  try {
    const { auth, initialPassword } = await AuthService.open(config.dataDir);
    const index = new HardwareIndex(store);
    await index.start();
    cleanup.unshift(() => index.stop());
    const registrar = new Registrar(store, index);
    const keys = partial.keyProvider ?? new FileKeyProvider(config.dataDir);
    const credentials = new CredentialStore(join(config.dataDir, 'credentials.json'), new SecretBox(await keys.getKey(), keys.description));
    const power = new PowerControl(store, credentials, log.child({ svc: 'power' }));
    const consoles = new ConsoleHub({ open: consoleOpener(store, credentials) });
    cleanup.unshift(() => consoles.close());
    const bootLogs = new BootConsoleLogs({ hub: consoles, dir: join(config.dataDir, 'console-logs'), logger: log });
    cleanup.unshift(() => bootLogs.close());
    cleanup.unshift(await recordProvisioningConsoles(store, bootLogs));
    const images = new ImageCache({ dir: join(config.dataDir, 'images'), logger: log.child({ svc: 'images' }) });
    await images.load();
    const workflows = new WorkflowService({
      store,
      logger: log.child({ svc: 'workflow' }),
      power,
      // Fetch the template's images into the cache as soon as it is assigned: machines only ever read the cache.
      prepareImages: (tpl) => {
        const local = `${serverUrl}/images/`;
        for (const spec of imageSpecsOf(tpl.spec.actions)) {
          if (spec.url.startsWith(local) || spec.url.startsWith('cache:')) continue;
          images.ensure(spec).catch((e) => log.warn({ image: spec.url, err: (e as Error).message }, 'image not cached'));
        }
      },
    });
    const events = new EventEmitter<{ notification: [Notification] }>();
    workflows.on('notification', (n) => events.emit('notification', n));

    let settings: NetworkSettings = initialSettings(config, await loadNetworkSettings(config.dataDir));
    let serverUrl = '';
    const network = new NetworkServices({
      registrar,
      logger: log.child({ svc: 'network' }),
      dataDir: config.dataDir,
      ipxeDir: config.ipxeDir ?? join(repoRoot, 'assets', 'ipxe'),
      serverUrl: () => serverUrl,
      forceFull: config.forceFullDhcp,
      swarm: config.backend === 'etcd' && config.swarm !== false ? { etcdEndpoints: config.etcdEndpoints, ttlSeconds: config.swarmTtlSeconds } : undefined,
    });
    const httpHealth: ServiceHealth = { ok: false };

    const status = async (): Promise<StatusReport> => {
      const { items } = await store.list<Hardware>('Hardware');
      const byState: Record<string, number> = {};
      for (const h of items) byState[h.status?.state ?? 'Discovered'] = (byState[h.status?.state ?? 'Discovered'] ?? 0) + 1;
      return { version: VERSION, backend: store.backend, services: { http: httpHealth, ...network.health() }, counts: { byState } };
    };

    const api = await buildApi({
      store,
      auth,
      workflows,
      registrar,
      index,
      power,
      consoles,
      bootLogs,
      credentials,
      images,
      importProxmox: (req) => importProxmoxVms({ store, index, credentials }, req),
      logger: log.child({ svc: 'api' }),
      serverUrl: () => serverUrl,
      uiDir: config.uiDir ?? join(repoRoot, 'dist', 'renderer'),
      version: VERSION,
      boot: {
        agentImageDir: config.agentImageDir ?? join(repoRoot, 'dist', 'agent-image'),
        ipxeDir: config.ipxeDir ?? join(repoRoot, 'assets', 'ipxe'),
        imageDir: join(config.dataDir, 'images'),
      },
      system: {
        status,
        getSettings: () => settings,
        putSettings: async (body) => {
          const next = validateNetworkSettings(body);
          await saveNetworkSettings(config.dataDir, next);
          settings = next;
          await network.apply(settings);
          return settings;
        },
        probeDhcp: (iface) => network.probeDhcp(iface),
      },
    });
    cleanup.unshift(() => api.app.close());

    const address = await api.app.listen({ host: config.listen, port: config.httpPort });
    const port = new URL(address).port;
    const host = config.advertiseAddress ?? (config.listen === '0.0.0.0' ? (firstIpv4(settings.interface) ?? '127.0.0.1') : config.listen);
    serverUrl = `http://${host}:${port}`;
    httpHealth.ok = true;
    httpHealth.detail = `${config.listen}:${port}`;
    settings.httpPort = Number(port);

    // DHCP/TFTP failing to bind (privileges) is reported, never fatal: the API and UI keep running.
    await network.apply(settings);
    cleanup.unshift(() => network.close());

    const timers = [
      setInterval(() => void workflows.enforceTimeouts().catch((e) => log.warn({ err: e.message }, 'timeout sweep failed')), 10_000),
      setInterval(() => void markLostAgents(store, Date.now()).catch((e) => log.warn({ err: e.message }, 'liveness sweep failed')), 30_000),
    ];
    for (const t of timers) t.unref();
    cleanup.unshift(() => timers.forEach(clearInterval));

    return {
      url: `http://${config.listen === '0.0.0.0' ? '127.0.0.1' : config.listen}:${port}`,
      config,
      store,
      auth,
      workflows,
      api,
      initialPassword,
      events,
      adminSession: () => auth.createSession(),
      status,
      close: async () => {
        for (const c of cleanup.splice(0)) await c();
      },
    };
  } catch (e) {
    for (const c of cleanup.splice(0)) await Promise.resolve(c()).catch(() => {});
    throw e;
  }
}

function initialSettings(c: ControlPlaneConfig, saved: Partial<NetworkSettings> | undefined): NetworkSettings {
  // Explicit flags win over what was saved from the UI last time.
  return {
    interface: c.interface ?? saved?.interface,
    dhcpMode: c.interface || !saved?.dhcpMode ? c.dhcpMode : saved.dhcpMode,
    range: c.dhcpRange ?? saved?.range,
    router: c.router ?? saved?.router,
    dns: c.dns.length ? c.dns : (saved?.dns ?? []),
    leaseSeconds: c.leaseSeconds,
    tftpPort: c.tftpPort,
    httpPort: c.httpPort,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== 'logger' && k !== 'keyProvider')) as Partial<T>;
}
