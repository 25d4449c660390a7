import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createControlPlane, type ControlPlane } from '../app/control-plane.ts';
import { discardLogger } from '../shared/logger.ts';
import { startEtcd, type EtcdProcess } from '../store/etcd/etcd-process.ts';

/**
 * Real control planes (HTTP on 127.0.0.1, DHCP and TFTP off) on one real etcd on loopback, for
 * the swarm tests: `start` makes A and lets B and C join with A's join token.
 */
export class TestSwarm {
  etcd!: EtcdProcess;
  /** Data directories, in the order the instances were made (A, B, C, then any more). */
  readonly dirs: string[] = [];
  private readonly planes: ControlPlane[] = [];

  constructor(private readonly prefix: string) {}

  async start(): Promise<{ a: ControlPlane; b: ControlPlane; c: ControlPlane }> {
    this.etcd = await startEtcd();
    const a = await this.instance();
    const b = await this.instance(a.swarm!.joinToken!.token);
    const c = await this.instance(a.swarm!.joinToken!.token);
    return { a, b, c };
  }

  async instance(joinToken?: string): Promise<ControlPlane> {
    const dataDir = await mkdtemp(join(tmpdir(), this.prefix));
    this.dirs.push(dataDir);
    const cp = await createControlPlane({ dataDir, backend: 'etcd', etcdEndpoints: [this.etcd.endpoint], join: joinToken, listen: '127.0.0.1', httpPort: 0, tftpPort: 0, dhcpMode: 'off', logger: discardLogger });
    this.planes.push(cp);
    return cp;
  }

  async stop(): Promise<void> {
    for (const cp of this.planes) await cp.close().catch(() => {});
    await this.etcd?.stop();
    for (const d of this.dirs) await rm(d, { recursive: true, force: true });
  }
}
