import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthService, type AuthOptions } from '../auth/auth-service.ts';
import { bootUrls } from '../boot/urls.ts';
import { buildApi, type Api, type ApiDeps } from '../api/server.ts';
import { FANOUT_CHUNK_BYTES } from '../contract/fanout.ts';
import { FanoutTracker } from '../fanout/tracker.ts';
import { ManifestStore } from '../images/manifest.ts';
import type { StatusReport, ServiceHealth } from '../api/system-plugin.ts';
import { HardwareIndex } from '../inventory/hardware-index.ts';
import { Registrar } from '../inventory/registration.ts';
import { RuleService } from '../inventory/rules.ts';
import { loadEnrolmentSettings, saveEnrolmentSettings } from './enrolment-settings.ts';
import { markLostAgents } from '../inventory/liveness.ts';
import type { Hardware } from '../model/hardware.ts';
import type { Logger } from '../shared/logger.ts';
import { openStore } from '../store/backend.ts';
import type { Store } from '../store/store.ts';
import { WorkflowService, type Notification } from '../workflow/workflow-service.ts';
import { defaults, type ControlPlaneConfig } from './config.ts';
import { createLogger } from './logging.ts';
import { loadNetworkSettings, saveNetworkSettings, validateNetworkSettings, type NetworkSettings } from './network-settings.ts';
import { NetworkServices, type SwarmStarter } from '../boot/network-services.ts';
import { EnrolmentGate, ENROLMENT_STATE_ENTRIES } from '../boot/enrolment.ts';
import { BootTimeline } from '../boot/timeline.ts';
import { segmentOf, startSwarmDhcp } from '../swarm/swarm-service.ts';
import { parseHelperTarget } from '../privhelper/client.ts';
import { helperBackedSockets } from '../privhelper/service-sockets.ts';
import { BootListener } from './boot-listener.ts';
import { secureBootDirOf, secureBootTftp, uefiChainByMac } from './secure-boot.ts';
import { ipxeAutoexecTftp } from './ipxe-autoexec.ts';
import { uefiLocalLoaderPath, uefiLocalLoaderTftp } from './uefi-local-loader.ts';
import { firstTftpResolver } from '../tftp/resolvers.ts';
import type { Surface } from '../api/surfaces.ts';
import { interfaceIpv4 } from '../dhcp/bind-to-interface.ts';
import { PowerControl } from '../fleet/power-control.ts';
import { importProxmoxVms } from '../fleet/proxmox-import.ts';
import { agentImageOnDisk, readiness, type AgentImageState, type Readiness } from './readiness.ts';
import { ImageCache } from '../images/cache.ts';
import { imageSpecsOf } from '../images/rewrite.ts';
import { SwarmImages } from '../images/swarm-images.ts';
import type { SharedKv } from '../shared/shared-kv.ts';
import { FileKv } from '../shared/file-kv.ts';
import { importFolderOf } from '../images/import-folder.ts';
import { CredentialStore } from '../power/secrets/credential-store.ts';
import { FileKeyProvider, type KeyProvider } from '../power/secrets/key-provider.ts';
import { SecretBox } from '../power/secrets/secret-box.ts';
import { ConsoleHub } from '../power/console-hub.ts';
import { BootConsoleLogs } from '../power/boot-console-log.ts';
import { consoleHolderOf, consoleOpener, recordProvisioningConsoles } from '../fleet/console-control.ts';
import { openReportSigner, type ReportSigner } from '../report/signing.ts';
import { openSwarmIdentity, type SwarmIdentity } from './swarm-identity.ts';
import { isSwarmBackend, swarmBackendOf } from './swarm-kv.ts';

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
  /** Set only on the very first start (of this instance, or of the swarm): the one-time admin password. */
  initialPassword?: string;
  /** With backend etcd: the swarm this instance belongs to (a join token is set only on the swarm's first instance). */
  swarm?: Pick<SwarmIdentity, 'joinToken' | 'makeJoinToken' | 'rotateKey'>;
  /** Notifications (machine Ready / failed), for the tray and desktop notifications. */
  events: EventEmitter<{ notification: [Notification] }>;
  /** A session token for the operator at this desktop (no password typed). */
  adminSession(): { token: string; expiresAt: string };
  status(): Promise<StatusReport>;
  /** Can machines boot: agent image, iPXE binaries, interface, DHCP mode (npm start, first-run screen). */
  readiness(): Readiness;
  close(): Promise<void>;
}

/** Some non-loopback IPv4 address of this host: where machines are sent before an interface is chosen. */
function firstIpv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

/** What the desktop app and `dragonfly serve` pass besides the config. */
export interface ControlPlaneExtras {
  logger?: Logger;
  /** Where the key for secrets at rest comes from; default a 0600 key file in the data dir. The desktop app passes one wrapped by the OS keychain. */
  keyProvider?: KeyProvider;
  /** The agent image's state while something builds it (npm start); default: whether its files exist. */
  agentImage?: () => AgentImageState;
}

/**
 * Parts a test puts in place of the real ones (core/testing/api-harness.ts): the wiring between
 * them stays this file's, so a test exercises the same control plane a user runs.
 */
export interface InjectedParts {
  store?: Store;
  /** the workflow engine's clock */
  now?: () => number;
  auth?: AuthOptions;
  bodyLimit?: number;
  images?: ImageCache;
  consoles?: ConsoleHub;
  bootLogs?: BootConsoleLogs;
  /** the boot timeline and its enrolment gate */
  timeline?: BootTimeline;
  surfaceOf?: ApiDeps['surfaceOf'];
  /** rack fan-out with a test's chunk size (docs/FANOUT.md) */
  fanout?: ApiDeps['fanout'];
}

/** The control plane wired but not yet serving: what createControlPlane starts, and what tests drive in-process. */
export interface WiredControlPlane extends Omit<ControlPlane, 'url'> {
  registrar: Registrar;
  index: HardwareIndex;
  /**
   * listen: the API on config.listen, the boot listener and the sweeps (timeouts, liveness); without
   * it only the network settings are applied (no interface: nothing binds). Returns the API's URL.
   */
  start(opts?: { listen?: boolean }): Promise<string>;
}

export async function createControlPlane(partial: Partial<ControlPlaneConfig> & ControlPlaneExtras = {}): Promise<ControlPlane> {
  const wired = await wireControlPlane(partial);
  try {
    return { ...wired, url: await wired.start() };
  } catch (e) {
    await wired.close().catch(() => {});
    throw e;
  }
}

/** The one place that wires the control plane together (DESIGN.md §3); createControlPlane then starts it. */
export async function wireControlPlane(partial: Partial<ControlPlaneConfig> & ControlPlaneExtras = {}, inject: InjectedParts = {}): Promise<WiredControlPlane> {
  const config: ControlPlaneConfig = { ...defaults(), ...stripUndefined(partial) };
  const log = partial.logger ?? createLogger(config.logLevel);
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });

  const store = inject.store ?? (await openStore({ backend: config.backend, dataDir: config.dataDir, etcdEndpoints: config.etcdEndpoints, kubeconfig: config.kubeconfig, kubernetesNamespace: config.kubernetesNamespace, logger: log }));
  const cleanup: Array<() => Promise<void> | void> = [() => store.close()];
  const close = async () => {
    for (const c of cleanup.splice(0)) await c();
  };
  try {
    const keys = partial.keyProvider ?? new FileKeyProvider(config.dataDir);
    // etcd or Kubernetes: one identity for every instance (operators, tokens, sessions, machine-token key) in the backend
    const swarm = isSwarmBackend(config.backend) ? await openSwarmIdentity({ dataDir: config.dataDir, shared: swarmBackendOf({ ...config, backend: config.backend }), local: keys, joinToken: config.join }) : undefined;
    if (swarm) cleanup.unshift(() => swarm.close());
    const { auth, initialPassword } = swarm ?? (await AuthService.open(config.dataDir, inject.auth));
    const index = new HardwareIndex(store);
    await index.start();
    cleanup.unshift(() => index.stop());
    // Identity conflicts join the workflow engine's notifications: one stream for the UI, tray and SSE.
    let enrolmentSettings = await loadEnrolmentSettings(config.dataDir);
    const rules = new RuleService({
      store,
      notify: (n) => workflows.emit('notification', n),
      assign: async ({ template, machine, variables }) => {
        const [r] = await workflows.assign({ template, machines: [machine], variables });
        return { workflow: r?.workflow, error: r?.error?.message };
      },
    });
    const registrar = new Registrar(store, index, {
      notify: (n) => workflows.emit('notification', n),
      enrolment: () => enrolmentSettings.enrolment,
      afterRegistration: (hw) => rules.afterRegistration(hw),
    });
    const box = new SecretBox(await keys.getKey(), keys.description);
    // a swarm keeps them in the backend, sealed under its data key; one instance in 0600 files
    const credentials = swarm?.credentials ?? new CredentialStore(join(config.dataDir, 'credentials.json'), box);
    // secret template variables: same key, own file, so the credentials list never shows them
    const templateSecrets = swarm?.templateSecrets ?? new CredentialStore(join(config.dataDir, 'template-secrets.json'), box);
    const power = new PowerControl(store, credentials, log.child({ svc: 'power' }));
    const consoles = inject.consoles ?? new ConsoleHub({ open: consoleOpener(store, credentials), holderOf: consoleHolderOf(store, credentials) });
    cleanup.unshift(() => consoles.close());
    const bootLogs = inject.bootLogs ?? new BootConsoleLogs({ hub: consoles, dir: join(config.dataDir, 'console-logs'), logger: log });
    cleanup.unshift(() => bootLogs.close());
    cleanup.unshift(await recordProvisioningConsoles(store, bootLogs));
    const images = inject.images ?? new ImageCache({ dir: join(config.dataDir, 'images'), logger: log.child({ svc: 'images' }) });
    await images.load();
    const workflows = new WorkflowService({
      store,
      logger: log.child({ svc: 'workflow' }),
      power,
      ...(inject.now ? { now: inject.now } : {}),
      // Fetch the template's images into the cache as soon as it is assigned: machines only ever read the cache.
      prepareImages: (tpl) => {
        const local = bootUrls(serverUrl()).imagesBase;
        for (const spec of imageSpecsOf(tpl.spec.actions)) {
          if (spec.url.startsWith('cache:')) {
            images.copyFromPeer(spec); // swarm: imported on another instance
            continue;
          }
          if (spec.url.startsWith(local)) continue;
          images.ensure(spec).catch((e) => log.warn({ image: spec.url, err: (e as Error).message }, 'image not cached'));
        }
      },
    });
    const events = new EventEmitter<{ notification: [Notification] }>();
    workflows.on('notification', (n) => events.emit('notification', n));

    const dirs = installDirs(config);
    let settings: NetworkSettings = initialSettings(config, await loadNetworkSettings(config.dataDir));
    let httpPort = config.httpPort; // the real one once listening (0 picks a free port)
    const privSockets = config.privHelper ? helperBackedSockets(parseHelperTarget(config.privHelper), log.child({ svc: 'privhelper' })) : undefined;
    if (privSockets) cleanup.push(() => privSockets.close());
    // Evidence of a DHCP exchange can exist only while this server runs DHCP (docs/SECURITY.md).
    // Enrolment state survives a restart (a file beside auth.json) and is shared in a swarm (etcd).
    const enrolmentKv = swarm?.kv ?? (await FileKv.open({ path: join(config.dataDir, 'enrolment-state.json'), maxEntries: ENROLMENT_STATE_ENTRIES }));
    if (!swarm) cleanup.unshift(() => enrolmentKv.close());
    const timeline = inject.timeline ?? new BootTimeline(registrar, new EnrolmentGate({ ...config.enrolment, kv: enrolmentKv, dhcpRuns: () => Boolean(settings.interface) && settings.dhcpMode !== 'off' }));
    const network = new NetworkServices({
      steps: registrar,
      timeline,
      logger: log.child({ svc: 'network' }),
      dataDir: config.dataDir,
      ipxeDir: dirs.ipxe,
      uefiChain: uefiChainByMac(config.secureBoot, index, timeline.ipxeRefusals),
      tftpResolve: firstTftpResolver(ipxeAutoexecTftp(timeline, () => api.app), secureBootTftp(config, dirs, () => api.app), uefiLocalLoaderTftp(timeline, dirs.ipxe, () => api.app)),
      http: () => ({ listen: config.listen, port: httpPort, fallbackAddress: () => firstIpv4() }),
      forceFull: config.forceFullDhcp,
      sockets: privSockets,
      swarm: config.backend === 'etcd' && config.swarm !== false ? swarmStarter(config, log) : undefined,
    });
    cleanup.unshift(() => network.close());
    // Every URL handed to machines is read from here, so it follows the network settings.
    const serverUrl = () => network.serverUrl();
    const httpHealth: ServiceHealth = { ok: false };
    const bootHttp = new BootListener(() => api.app.routing.bind(api.app), log.child({ svc: 'boot-http' }));
    cleanup.unshift(() => bootHttp.close());
    // A listener on an address other people reach answers operator routes only, once the boot
    // surface has its own listener; loopback and an explicit wildcard answer both (docs/SECURITY.md).
    const operatorSurface = (): Surface => (bootHttp.listening && !isLoopbackOrWildcard(config.listen) ? 'operator' : 'all');

    const status = async (): Promise<StatusReport> => {
      const { items } = await store.list<Hardware>('Hardware');
      const byState: Record<string, number> = {};
      for (const h of items) byState[h.status?.state ?? 'Discovered'] = (byState[h.status?.state ?? 'Discovered'] ?? 0) + 1;
      return { version: VERSION, backend: store.backend, services: { http: httpHealth, boot: bootHttp.health(), ...network.health() }, counts: { byState }, enrolment: timeline.enrolment.status() };
    };

    const agentImage = partial.agentImage ?? (() => agentImageOnDisk(dirs.agentImage));
    const ready = () => readiness({ uiDir: dirs.ui, ipxeDir: dirs.ipxe, agentImage, settings: () => settings, dhcpHealth: () => network.health().dhcp });
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
      templateSecrets,
      images,
      imageImportDir: importFolderOf(config.dataDir),
      importProxmox: (req) => importProxmoxVms({ store, index, credentials }, req),
      logger: log.child({ svc: 'api' }),
      serverUrl,
      uiDir: dirs.ui,
      version: VERSION,
      bodyLimit: inject.bodyLimit,
      surfaceOf: inject.surfaceOf ?? ((raw) => bootHttp.surfaceOf(raw, operatorSurface())),
      report: { signer: onceSigner(config.dataDir) },
      swarm: swarm && { makeJoinToken: (seconds) => swarm.makeJoinToken(seconds) },
      fanout: inject.fanout ?? { tracker: new FanoutTracker(), manifests: new ManifestStore(FANOUT_CHUNK_BYTES), enabled: () => settings.fanout !== 'off' },
      boot: {
        agentImageDir: dirs.agentImage,
        agentImageState: agentImage,
        ipxeDir: dirs.ipxe,
        secureBootDir: secureBootDirOf(dirs.ipxe),
        uefiLocalLoader: uefiLocalLoaderPath(dirs.ipxe),
        imageDir: images.dir,
        timeline,
      },
      system: {
        status,
        enrolment: {
          get: () => enrolmentSettings,
          put: async (next) => {
            await saveEnrolmentSettings(config.dataDir, next);
            return (enrolmentSettings = next);
          },
        },
        getSettings: () => settings,
        putSettings: async (body) => {
          const next = validateNetworkSettings(body);
          await saveNetworkSettings(config.dataDir, next);
          // A flag given at start keeps applying when the UI does not send the field.
          settings = { ...next, advertiseAddress: next.advertiseAddress ?? config.advertiseAddress, httpPort: settings.httpPort };
          await applyBootListener(); // first: DHCP hands out URLs on the boot listener's address
          await network.apply(settings);
          return settings;
        },
        probeDhcp: (iface) => network.probeDhcp(iface),
        readiness: ready,
      },
    });
    cleanup.unshift(() => api.app.close());

    /** The boot listener follows the provisioning interface (network.serverUrl() then names its address). */
    const applyBootListener = async () => {
      if (!httpHealth.ok) return; // not serving (a test drives the API in-process)
      const bootAddress = isWildcard(config.listen) ? undefined : bootAddressOf(settings.interface, config.listen); // a wildcard already covers it
      await bootHttp.moveTo(bootAddress, httpPort);
    };

    const start = async ({ listen = true } = {}): Promise<string> => {
      if (listen) {
        const address = await api.app.listen({ host: config.listen, port: config.httpPort });
        httpPort = Number(new URL(address).port);
        httpHealth.ok = true;
        httpHealth.detail = `${config.listen}:${httpPort}`;
        await applyBootListener();
        settings.httpPort = httpPort;
        startSweeps();
        if (swarm) await shareImages(swarm.kv);
      }
      // DHCP/TFTP failing to bind (privileges) is reported, never fatal: the API and UI keep running.
      await network.apply(settings);
      return `http://${isWildcard(config.listen) ? '127.0.0.1' : config.listen}:${httpPort}`;
    };
    /** Swarm: images follow the machines (published in the backend, copied from the instance holding one). */
    const shareImages = async (kv: SharedKv) => {
      const shared = await SwarmImages.start({ kv, cache: images, self: serverUrl, fileUrl: (file) => bootUrls(serverUrl()).image(file), logger: log.child({ svc: 'swarm-images' }) });
      images.usePeers(shared, config.imagePeers ?? 'copy');
      cleanup.unshift(() => shared.stop());
    };
    const startSweeps = () => {
      const timers = [
        setInterval(() => void workflows.enforceTimeouts().catch((e) => log.warn({ err: e.message }, 'timeout sweep failed')), 10_000),
        setInterval(() => void markLostAgents(store, Date.now()).catch((e) => log.warn({ err: e.message }, 'liveness sweep failed')), 30_000),
      ];
      for (const t of timers) t.unref();
      cleanup.unshift(() => timers.forEach(clearInterval));
    };

    return {
      config,
      store,
      auth,
      workflows,
      registrar,
      index,
      api,
      initialPassword,
      swarm,
      events,
      adminSession: () => auth.createSession(),
      status,
      readiness: ready,
      start,
      close,
    };
  } catch (e) {
    for (const c of cleanup.splice(0)) await Promise.resolve(c()).catch(() => {});
    throw e;
  }
}

/** Several instances on one etcd: only the segment's leader answers (no probe: the others are standbys). */
function swarmStarter(config: ControlPlaneConfig, log: Logger): SwarmStarter {
  return ({ address, createServer, onState }) =>
    startSwarmDhcp({
      endpoints: config.etcdEndpoints,
      segment: segmentOf(address.address, address.netmask),
      ttlSeconds: config.swarmTtlSeconds,
      logger: log.child({ svc: 'network' }),
      createServer,
      onStateChange: (st) => onState(st.serving, st.detail),
    });
}

/** Where the UI, the agent image and the iPXE binaries are, unless the config says otherwise. */
export function installDirs(c: Pick<ControlPlaneConfig, 'agentImageDir' | 'ipxeDir' | 'uiDir'>): { agentImage: string; ipxe: string; ui: string } {
  return { agentImage: c.agentImageDir ?? join(repoRoot, 'dist', 'agent-image'), ipxe: c.ipxeDir ?? join(repoRoot, 'assets', 'ipxe'), ui: c.uiDir ?? join(repoRoot, 'dist', 'renderer') };
}

const isWildcard = (a: string) => a === '0.0.0.0' || a === '::';
const isLoopbackOrWildcard = (a: string) => isWildcard(a) || a === '::1' || a === 'localhost' || a.startsWith('127.');

/** The provisioning interface's IPv4 address, unless the operator listener already holds it (one listener then). */
function bootAddressOf(iface: string | undefined, listen: string): string | undefined {
  const a = iface ? interfaceIpv4(iface)?.address : undefined;
  return a && a !== listen ? a : undefined;
}

function initialSettings(c: ControlPlaneConfig, saved: Partial<NetworkSettings> | undefined): NetworkSettings {
  // Explicit flags win over what was saved from the UI last time.
  return {
    interface: c.interface ?? saved?.interface,
    advertiseAddress: c.advertiseAddress ?? saved?.advertiseAddress,
    dhcpMode: c.interface || !saved?.dhcpMode ? c.dhcpMode : saved.dhcpMode,
    range: c.dhcpRange ?? saved?.range,
    router: c.router ?? saved?.router,
    dns: c.dns.length ? c.dns : (saved?.dns ?? []),
    leaseSeconds: c.leaseSeconds,
    tftpPort: c.tftpPort,
    httpPort: c.httpPort,
  };
}

/** The report key is read (or made) on the first report, not at start: most runs never sign one. */
function onceSigner(dataDir: string): () => Promise<ReportSigner> {
  let signer: Promise<ReportSigner> | undefined;
  return () => (signer ??= openReportSigner(dataDir).catch((e) => {
    signer = undefined;
    throw e;
  }));
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && !['logger', 'keyProvider', 'agentImage'].includes(k))) as Partial<T>;
}
