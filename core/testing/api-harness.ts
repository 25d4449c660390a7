import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthService } from '../auth/auth-service.ts';
import type { Api } from '../api/server.ts';
import { wireControlPlane, type InjectedParts } from '../app/control-plane.ts';
import { ImageCache } from '../images/cache.ts';
import type { HardwareIndex } from '../inventory/hardware-index.ts';
import type { Registrar } from '../inventory/registration.ts';
import type { HardwareFacts } from '../model/hardware.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import type { Store } from '../store/store.ts';
import type { WorkflowService } from '../workflow/workflow-service.ts';
import { discardLogger, type Logger } from '../shared/logger.ts';

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

/** Where the harness's control plane sends machines. */
export const HARNESS_URL = 'http://10.0.0.1:8080';

/**
 * An image cache that never reaches the network (tests' traffic stays on loopback): a template
 * naming an image on the internet fails to cache, with the reason, as on an offline laptop.
 */
export function offlineImageCache(dir: string): ImageCache {
  return new ImageCache({ dir, fetch: async (url) => Promise.reject(new Error(`no network in tests (${String(url)})`)) });
}

/**
 * The control plane a user runs (core/app/control-plane.ts wires it), over a memory store and a
 * temp data dir (iPXE binaries and the agent image are looked for there too: a test puts what it
 * needs), driven in-process: no port unless a test listens, no DHCP/TFTP (no interface),
 * machines sent to HARNESS_URL, images never downloaded (offlineImageCache). Tests put fakes in
 * through `InjectedParts`.
 */
export async function createHarness(opts: InjectedParts & { logger?: Logger } = {}): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'df-api-'));
  const { logger, ...inject } = opts;
  const cp = await wireControlPlane(
    { dataDir, backend: 'memory', dhcpMode: 'off', tftpPort: 0, httpPort: 8080, advertiseAddress: '10.0.0.1', ipxeDir: join(dataDir, 'ipxe'), agentImageDir: join(dataDir, 'agent'), logger: logger ?? discardLogger },
    { ...inject, store: inject.store ?? createMemoryStore(), images: inject.images ?? offlineImageCache(join(dataDir, 'images')) },
  );
  await cp.start({ listen: false });
  const session = await cp.auth.login('admin', cp.initialPassword!);
  return {
    ...cp.api,
    store: cp.store,
    auth: cp.auth,
    workflows: cp.workflows,
    registrar: cp.registrar,
    index: cp.index,
    dataDir,
    password: cp.initialPassword!,
    token: session.token,
    headers: { authorization: `Bearer ${session.token}` },
    close: async () => {
      await cp.close();
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
      { name: 'write-image', type: 'image2disk', disk: { path: '/dev/vda' }, image: { url: `${HARNESS_URL}/images/${name}.raw.gz`, checksum: 'sha256:' + 'ab'.repeat(32) } },
      { name: 'seed', type: 'writefile', disk: { path: '/dev/vda' }, partition: 1, path: '/etc/hostname', content: '{{ hostname }}\n' },
      { name: 'reboot', type: 'reboot' },
    ],
  },
});
