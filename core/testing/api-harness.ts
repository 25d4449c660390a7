import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthService, type AuthOptions } from '../auth/auth-service.ts';
import { buildApi, type Api, type ApiDeps } from '../api/server.ts';
import type { BootTimeline } from '../boot/timeline.ts';
import { HardwareIndex } from '../inventory/hardware-index.ts';
import type { EnrolmentSettings } from '../contract/enrolment.ts';
import { Registrar } from '../inventory/registration.ts';
import type { HardwareFacts } from '../model/hardware.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import type { Store } from '../store/store.ts';
import type { ImageCache } from '../images/cache.ts';
import type { ConsoleHub } from '../power/console-hub.ts';
import type { BootConsoleLogs } from '../power/boot-console-log.ts';
import { WorkflowService } from '../workflow/workflow-service.ts';
import { CredentialStore } from '../power/secrets/credential-store.ts';
import { SecretBox } from '../power/secrets/secret-box.ts';
import type { Logger } from '../shared/logger.ts';

export interface Harness extends Api {
  store: Store;
  auth: AuthService;
  workflows: WorkflowService;
  registrar: Registrar;
  index: HardwareIndex;
  dataDir: string;
  password: string;
  token: string;
  /** Headers of a signed-in operator. */
  headers: Record<string, string>;
  close(): Promise<void>;
}

/** The real API over a memory store and a temp data dir; no port unless a test listens. */
export async function createHarness(
  opts: {
    auth?: AuthOptions;
    bodyLimit?: number;
    store?: Store;
    images?: ImageCache;
    imageDir?: string;
    consoles?: ConsoleHub;
    bootLogs?: BootConsoleLogs;
    surfaceOf?: ApiDeps['surfaceOf'];
    /** the workflow engine's clock */
    now?: () => number;
    /** where the API and the workflow engine log; default: nowhere */
    logger?: Logger;
    /** the boot timeline (and its enrolment gate, whose status the harness reports) */
    timeline?: BootTimeline;
    /** rack fan-out: tracker and manifests (docs/FANOUT.md) */
    fanout?: ApiDeps['fanout'];
  } = {},
): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'df-api-'));
  const store = opts.store ?? createMemoryStore();
  const { auth, initialPassword } = await AuthService.open(dataDir, opts.auth);
  const index = new HardwareIndex(store);
  await index.start();
  const workflows = new WorkflowService({ store, now: opts.now, ...(opts.logger ? { logger: opts.logger } : {}) });
  const templateSecrets = new CredentialStore(join(dataDir, 'template-secrets.json'), new SecretBox(randomBytes(32)));
  let enrolment: EnrolmentSettings = { enrolment: 'open' };
  const registrar = new Registrar(store, index, { notify: (n) => workflows.emit('notification', n), enrolment: () => enrolment.enrolment });
  let settings = { dhcpMode: 'off' as const, dns: [], leaseSeconds: 3600, tftpPort: 0, httpPort: 0 };
  const api = await buildApi({
    store,
    auth,
    workflows,
    registrar,
    index,
    serverUrl: () => 'http://10.0.0.1:8080',
    bodyLimit: opts.bodyLimit,
    logger: opts.logger,
    templateSecrets,
    images: opts.images,
    imageImportDir: join(dataDir, 'import'),
    consoles: opts.consoles,
    bootLogs: opts.bootLogs,
    pingMs: 60_000,
    surfaceOf: opts.surfaceOf,
    fanout: opts.fanout,
    boot: { agentImageDir: join(dataDir, 'agent'), ipxeDir: join(dataDir, 'ipxe'), imageDir: opts.imageDir ?? join(dataDir, 'images'), timeline: opts.timeline },
    system: {
      status: async () => ({ version: 'test', backend: store.backend, services: {}, counts: { byState: {} }, enrolment: opts.timeline?.enrolment.status() }),
      enrolment: { get: () => enrolment, put: async (next) => (enrolment = next) },
      getSettings: () => settings,
      putSettings: async (s) => (settings = s as typeof settings),
    },
  });
  const session = await auth.login('admin', initialPassword!);
  return {
    ...api,
    store,
    auth,
    workflows,
    registrar,
    index,
    dataDir,
    password: initialPassword!,
    token: session.token,
    headers: { authorization: `Bearer ${session.token}` },
    close: async () => {
      await api.app.close();
      index.stop();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function sampleFacts(macs: string[], overrides: Partial<HardwareFacts> = {}): HardwareFacts {
  return {
    cpu: { model: 'QEMU Virtual CPU', sockets: 1, cores: 2, threads: 2, arch: 'x86_64' },
    memoryBytes: 2 * 2 ** 30,
    disks: [{ name: 'vda', path: '/dev/vda', sizeBytes: 8 * 2 ** 30, transport: 'virtio', rotational: false, removable: false }],
    nics: macs.map((mac, i) => ({ name: `eth${i}`, mac, link: 'up' as const })),
    dmi: { vendor: 'QEMU', product: 'Standard PC', uuid: '11111111-2222-3333-4444-555555555555' },
    firmware: 'bios',
    ...overrides,
  };
}

export const sampleTemplate = (name = 'debian-12') => ({
  apiVersion: 'dragonfly.computer/v1',
  kind: 'Template',
  metadata: { name },
  spec: {
    description: 'test template',
    actions: [
      { name: 'write-image', type: 'image2disk', disk: { path: '/dev/vda' }, image: { url: 'http://example.invalid/disk.raw', checksum: 'sha256:' + 'ab'.repeat(32) } },
      { name: 'seed', type: 'writefile', disk: { path: '/dev/vda' }, partition: 1, path: '/etc/hostname', content: '{{ hostname }}\n' },
      { name: 'reboot', type: 'reboot' },
    ],
  },
});
