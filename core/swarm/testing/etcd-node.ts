/**
 * A throwaway single-member etcd (Debian's etcd-server) for swarm tests and the benchmark.
 * Unlike core/store/etcd/etcd-process.ts it can be frozen (SIGSTOP: "etcd unreachable"),
 * killed and restarted on the same ports and data, and run inside a network namespace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../store/etcd/etcd-process.ts';

export interface EtcdNodeOptions {
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Client and peer ports. Default: free loopback ports. */
  clientPort?: number;
  peerPort?: number;
  /** Run as `ip netns exec NETNS etcd ...`. Default: the current namespace. */
  netns?: string;
}

export interface EtcdNode {
  endpoint: string;
  /** Starts (or restarts) etcd and waits until healthy. */
  start(): Promise<void>;
  /** SIGSTOP: the process stays, but answers nothing (like a network partition). */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  /** SIGKILL, keeping the data dir for a restart. */
  kill(): Promise<void>;
  /** Stops etcd and removes the data dir. Safe to call twice. */
  destroy(): Promise<void>;
}

async function waitHealthy(endpoint: string, child: ChildProcess, log: () => string, netns?: string): Promise<void> {
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`etcd exited with code ${child.exitCode}: ${log()}`);
    if (await healthy(endpoint, netns)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`etcd at ${endpoint} not healthy after 15 s: ${log()}`);
}

/** Inside a namespace we cannot fetch from here; ask with curl run in the namespace. */
async function healthy(endpoint: string, netns?: string): Promise<boolean> {
  if (!netns) return fetch(`${endpoint}/health`).then((r) => r.ok, () => false);
  return new Promise((resolve) => {
    const c = spawn('ip', ['netns', 'exec', netns, 'curl', '-sf', '-m', '1', `${endpoint}/health`], { stdio: 'ignore' });
    c.on('exit', (code) => resolve(code === 0));
    c.on('error', () => resolve(false));
  });
}

export async function createEtcdNode(o: EtcdNodeOptions = {}): Promise<EtcdNode> {
  // tmpfs when there is one: fsync on a shared disk would make the tests slow, not more real.
  const dataDir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'dfs-etcd-'));
  const host = o.host ?? '127.0.0.1';
  const endpoint = `http://${host}:${o.clientPort ?? (await freePort())}`;
  const peer = `http://${host}:${o.peerPort ?? (await freePort())}`;
  const args = [
    'etcd', '--name', 't', '--data-dir', join(dataDir, 'data'),
    '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `t=${peer}`,
    '--log-level', 'error', '--logger', 'zap',
  ];
  const argv = o.netns ? ['ip', 'netns', 'exec', o.netns, ...args] : args;
  let child: ChildProcess | undefined;
  let stderr = '';

  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };

  return {
    endpoint,
    async start() {
      await kill();
      const c = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
      child = c;
      c.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
      await new Promise<void>((resolve, reject) => {
        c.once('spawn', resolve);
        c.once('error', (e) => reject(new Error(`cannot run etcd (install Debian's etcd-server): ${e.message}`)));
      });
      await waitHealthy(endpoint, c, () => stderr, o.netns);
    },
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
    kill,
    async destroy() {
      child?.kill('SIGCONT');
      await kill();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
