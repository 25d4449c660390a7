import path from 'node:path';
import { configFromEnv, type ControlPlaneConfig } from '../core/app/config.ts';
import { createControlPlane, type ControlPlane } from '../core/app/control-plane.ts';
import type { Hardware } from '../core/model/hardware.ts';
import type { Workflow } from '../core/model/workflow.ts';
import { discardLogger, type Logger } from '../core/shared/logger.ts';
import type { Notification } from '../core/workflow/workflow-service.ts';
import type { ChangeEventLike } from './tray-state.ts';

/**
 * The control plane as the desktop shell sees it: a URL to show, a session for the person at
 * the keyboard, the news to notify and the changes to paint in the tray, and a clean close.
 * The only module in electron/ that knows core/app's shape, so a change there lands here.
 */
export interface DesktopHost {
  /** Origin of the UI and API, e.g. http://127.0.0.1:8080 (no trailing slash). */
  url: string;
  /** A session for the local operator, reused until 5 minutes before it expires. */
  adminSession(): { token: string; expiresAt: string };
  /** Set on the very first start only: the admin password for logging in from elsewhere. */
  initialPassword?: string;
  onNotification(fn: (n: Notification) => void): () => void;
  /** Current Hardware and Workflow objects as ADDED events, then live changes to `fn`. */
  watchFleet(fn: (e: ChangeEventLike) => void): Promise<{ initial: ChangeEventLike[]; stop: () => void }>;
  /** Stops DHCP/TFTP/HTTP and flushes the store; safe to call twice. */
  close(): Promise<void>;
}

export interface HostOptions {
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /** Built UI directory; default: the control plane's own default (dist/renderer). */
  uiDir?: string;
  logger?: Logger;
  /**
   * Packaged installs: where extraResources put the iPXE binaries and the agent image.
   * Passed as config fields ipxeDir/agentImageDir (the control plane defaults to the repo's
   * assets/ipxe and dist/agent-image when it does not know them).
   */
  resources?: { ipxeDir: string; agentImageDir: string; privHelper?: string };
  /** Overrides for tests (backend memory, port 0, loopback). */
  overrides?: Partial<ControlPlaneConfig>;
  create?: typeof createControlPlane;
}

const SESSION_RENEW_MS = 5 * 60_000;

/**
 * Starts the control plane in this process. DRAGONFLY_* environment variables apply as for
 * `dragonfly serve`; the data dir is the desktop's. If the HTTP port is taken (another
 * Dragonfly, a dev server), the desktop falls back to a free port rather than not starting:
 * machines learn the actual port from the boot script URLs, so any port works for them.
 */
export async function startControlPlaneHost(opts: HostOptions): Promise<DesktopHost> {
  const create = opts.create ?? createControlPlane;
  const log = opts.logger ?? discardLogger;
  const config: Partial<ControlPlaneConfig> = { ...configFromEnv(opts.env ?? {}), dataDir: opts.dataDir, ...opts.overrides };
  if (opts.uiDir) config.uiDir = opts.uiDir;
  if (opts.resources) Object.assign(config, opts.resources);
  let cp: ControlPlane;
  try {
    cp = await create({ ...config, logger: opts.logger });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || config.httpPort === 0) throw e;
    log.warn({ port: config.httpPort ?? 8080 }, 'HTTP port in use; the desktop app takes a free port instead');
    cp = await create({ ...config, httpPort: 0, logger: opts.logger });
  }
  return wrap(cp);
}

function wrap(cp: ControlPlane): DesktopHost {
  let session: { token: string; expiresAt: string } | undefined;
  let closing: Promise<void> | undefined;
  return {
    url: cp.url.replace(/\/+$/, ''),
    initialPassword: cp.initialPassword,
    adminSession: () => {
      if (!session || Date.parse(session.expiresAt) - Date.now() < SESSION_RENEW_MS) session = cp.adminSession();
      return session;
    },
    onNotification: (fn) => {
      cp.events.on('notification', fn);
      return () => void cp.events.off('notification', fn);
    },
    watchFleet: (fn) => watchFleet(cp, fn),
    close: () => (closing ??= cp.close()),
  };
}

async function watchFleet(cp: ControlPlane, fn: (e: ChangeEventLike) => void) {
  const [hardware, workflows] = await Promise.all([cp.store.list<Hardware>('Hardware'), cp.store.list<Workflow>('Workflow')]);
  const initial: ChangeEventLike[] = [...hardware.items, ...workflows.items].map((object) => ({ type: 'ADDED', kind: object.kind, object }));
  // Watch from the older list's revision: a change between the two lists is replayed, not lost.
  const fromRevision = Math.min(hardware.revision, workflows.revision);
  const unwatch = await cp.store.watch({ fromRevision }, (e) => {
    if (e.kind === 'Hardware' || e.kind === 'Workflow') fn(e);
  });
  return { initial, stop: unwatch };
}

/**
 * Where packaged resources live (electron-builder extraResources), for the boot files; on Linux
 * also the privileged port helper, started through pkexec only if binding UDP 67/69/4011
 * directly fails (docs/PRIVILEGES.md). DRAGONFLY_PRIV_HELPER, when set, wins.
 */
export function resourcePaths(resourcesDir: string, platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env) {
  const helper = platform === 'linux' && !env.DRAGONFLY_PRIV_HELPER ? { privHelper: `exec:pkexec ${path.join(resourcesDir, 'privhelper', 'dragonfly-privhelper')} --stdio` } : {};
  return { ipxeDir: path.join(resourcesDir, 'ipxe'), agentImageDir: path.join(resourcesDir, 'agent-image'), ...helper };
}
