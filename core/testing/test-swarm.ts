import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControlPlaneConfig } from '../app/config.ts';
import { createControlPlane, type ControlPlane } from '../app/control-plane.ts';
import { discardLogger } from '../shared/logger.ts';
import { startEtcd, type EtcdProcess } from '../store/etcd/etcd-process.ts';
import { startKubeTestServer, type KubeTestServer } from '../store/kubernetes/testing/test-server.ts';

/**
 * Real control planes (HTTP on 127.0.0.1, DHCP and TFTP off) on one shared backend on loopback,
 * for the swarm tests: real etcd, or the Kubernetes test server (built from the published API
 * shapes: no cluster runs here). `start` makes A and lets B and C join with A's join token.
 */
export class TestSwarm {
  etcd!: EtcdProcess;
  kube!: KubeTestServer;
  /** Data directories, in the order the instances were made (A, B, C, then any more). */
  readonly dirs: string[] = [];
  private readonly planes: ControlPlane[] = [];
  /** The backend settings every instance gets (backend, etcd endpoints or kubeconfig), once started. */
  backendConfig: Partial<ControlPlaneConfig> = {};
  private kubeDir?: string;

  constructor(
    private readonly prefix: string,
    readonly backend: 'etcd' | 'kubernetes' = 'etcd',
    /** Settings every instance gets (e.g. imagePeers). */
    private readonly extra: Partial<ControlPlaneConfig> = {},
  ) {}

  async start(): Promise<{ a: ControlPlane; b: ControlPlane; c: ControlPlane }> {
    this.backendConfig = this.backend === 'etcd' ? { backend: 'etcd', etcdEndpoints: [(this.etcd = await startEtcd()).endpoint] } : await this.startKube();
    const a = await this.instance();
    const b = await this.instance(a.swarm!.joinToken!.token);
    const c = await this.instance((await a.swarm!.makeJoinToken()).token); // a join token admits one instance
    return { a, b, c };
  }

  /** The Kubernetes test server and a kubeconfig pointing at it, as an operator would have. */
  private async startKube(): Promise<Partial<ControlPlaneConfig>> {
    this.kube = await startKubeTestServer();
    this.kubeDir = await mkdtemp(join(tmpdir(), this.prefix));
    const kubeconfig = join(this.kubeDir, 'kubeconfig');
    // Plain HTTP on loopback: the client allows it only with TLS verification off (as behind kubectl proxy).
    const cluster = { server: this.kube.url, 'insecure-skip-tls-verify': true };
    const context = { cluster: 'lab', user: 'tech', namespace: 'dragonfly' };
    await writeFile(kubeconfig, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'lab', cluster }], users: [{ name: 'tech', user: {} }], contexts: [{ name: 'lab', context }], 'current-context': 'lab' }));
    return { backend: 'kubernetes', kubeconfig };
  }

  async instance(joinToken?: string): Promise<ControlPlane> {
    const dataDir = await mkdtemp(join(tmpdir(), this.prefix));
    this.dirs.push(dataDir);
    const cp = await createControlPlane({ dataDir, ...this.backendConfig, ...this.extra, join: joinToken, listen: '127.0.0.1', httpPort: 0, tftpPort: 0, dhcpMode: 'off', logger: discardLogger });
    this.planes.push(cp);
    return cp;
  }

  async stop(): Promise<void> {
    for (const cp of this.planes) await cp.close().catch(() => {});
    await this.etcd?.stop();
    await this.kube?.close();
    for (const d of [...this.dirs, ...(this.kubeDir ? [this.kubeDir] : [])]) await rm(d, { recursive: true, force: true });
  }
}
