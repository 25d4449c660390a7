/**
 * Swarm imaging with real VMs (issue 18): etcd and three `dragonfly serve --backend etcd`
 * instances in lab namespaces on one bridge, a QEMU/TCG VM on a tap of that bridge, the real
 * agent image (dist/agent-image) and the lab disk image (e2e/lab/disk-image/build.sh, 64 MiB).
 * This file builds the network and etcd; the steps (e2e/swarm/imaging-run.ts) run inside the
 * operator's namespace dfs-sw-op, the only place that reaches the instances.
 *
 *   flock /tmp/dragonfly-lab.lock node --import tsx e2e/swarm/imaging.ts     (root; qemu, etcd, ipmi_sim, tc)
 *
 * Exit code 0 only when every check passed. Everything is removed at the end, on failure too.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createEtcdNode, type EtcdNode } from '../../core/swarm/testing/etcd-node.ts';
import { createSwarmLab, jsonLines, repoRoot, ROOT_NS } from './swarm-lab.ts';
import { instanceIp } from './swarm-instance.ts';

const ETCD_IP = '10.79.0.2';
const TAP = 'dfs-tap0';

export interface ImagingResult {
  /** SIGKILL of the instance serving the image -> the agent's console says it moved, ms. */
  switchMs: number;
  /** SIGKILL -> the write's progress moves again (reported through the survivor), ms. */
  resumedMs: number;
  killToSucceededMs: number;
  killedAtBytes: number;
  totalBytes: number;
  survivor: string;
  seconds: number;
}

export async function runImaging(log: (s: string) => void = console.log): Promise<ImagingResult> {
  for (const f of ['manifest.json', 'vmlinuz', 'initramfs.img']) {
    if (!existsSync(join(repoRoot, 'dist', 'agent-image', f))) throw new Error(`no agent image in dist/agent-image (${f} missing): npm run build:agent-image`);
  }
  execFileSync('bash', [join(repoRoot, 'e2e/lab/disk-image/build.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const lab = createSwarmLab([{ name: 'etcd', cidr: `${ETCD_IP}/24` }, ...[1, 2, 3].map((k) => ({ name: `n${k}`, cidr: `${instanceIp(k)}/24` })), { name: 'op', cidr: '10.79.0.5/24' }], [TAP]);
  let etcd: EtcdNode | undefined;
  try {
    etcd = await createEtcdNode({ host: ETCD_IP, clientPort: 2379, peerPort: 2380, netns: lab.ns('etcd') });
    await etcd.start();
    const cfg = { etcd: etcd.endpoint, dir: lab.dir, tap: TAP, bridgeNs: ROOT_NS };
    const run = lab.spawnIn('op', [process.execPath, '--no-deprecation', '--import', 'tsx', 'e2e/swarm/imaging-run.ts', JSON.stringify(cfg)]);
    let stderr = '';
    run.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = jsonLines(run);
    run.stdout!.on('data', (d: Buffer) => {
      for (const l of d.toString().split('\n')) if (l.startsWith('ok: ')) log(l);
    });
    const code = await new Promise<number | null>((r) => run.once('close', (c) => r(c)));
    const result = lines.lines.find((l) => l.result)?.result as ImagingResult | undefined;
    if (code !== 0 || !result) throw new Error(`the imaging steps failed (exit ${code}):\n${stderr.trim()}`);
    return result;
  } finally {
    await lab.close();
    await etcd?.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runImaging().then(
    (r) =>
      console.log(
        `PASS: image imported on A written to a VM booted from B; B SIGKILLed at ${r.killedAtBytes} of ${r.totalBytes} bytes, agent moved to ${r.survivor} after ${(r.switchMs / 1000).toFixed(1)} s, writing again after ${(r.resumedMs / 1000).toFixed(1)} s, Succeeded ${(r.killToSucceededMs / 1000).toFixed(1)} s after the kill; run ${r.seconds.toFixed(0)} s`,
      ),
    (e) => {
      console.error(`FAIL: ${(e as Error).message}`);
      process.exitCode = 1;
    },
  );
}
