/**
 * Network namespaces for DHCP tests with real peers (LAB.md "Network"). Everything created
 * here carries the dfd prefix and is removed by close(), even after a failure. Processes
 * started through the lab are tracked by pid and killed by pid before the namespaces go.
 *
 * Layout for lab `x`: namespace dfd-x holds bridge dfd-br0 (10.77.N.1/24). addHost('c0')
 * makes namespace dfd-x-c0 joined to the bridge by a veth pair whose inside end is dfd-c0.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

function sh(cmd: string): string {
  try {
    return execFileSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as Error & { stderr?: string; stdout?: string };
    throw new Error(`${cmd}\n failed: ${err.stderr || err.message}${err.stdout ? `\n stdout: ${err.stdout.slice(-2000)}` : ''}`, { cause: e });
  }
}

export const repoRoot = resolve(import.meta.dirname, '../../..');

export interface Lab {
  ns: string;
  dir: string;
  /** Adds a bridge dfd-brK with address `cidr` (e.g. 10.77.5.1/24) in the lab namespace. */
  addBridge(k: number, cidr?: string): string;
  /** Adds namespace `${ns}-${name}` joined to bridge dfd-brK by veth; returns its namespace name; inside iface is `dfd-${name}`. */
  addHost(name: string, bridge: number, cidr?: string): string;
  /** Runs a short command in a namespace, synchronously (setup steps). */
  exec(ns: string, cmd: string): string;
  /**
   * Runs a command in a namespace without blocking the event loop, so the pipes of processes
   * started with spawnIn keep draining (a blocked parent makes a chatty child stall on write).
   */
  run(ns: string, cmd: string): Promise<string>;
  /** Starts a long-running process inside a namespace; tracked and killed on close. */
  spawnIn(ns: string, argv: string[], opts?: { cwd?: string }): ChildProcess;
  /** Kills a tracked process by pid and waits for it to exit. */
  stop(child: ChildProcess): Promise<void>;
  /** Kills a daemonised process (e.g. dhclient) by the pid in its pid file. */
  killPidFile(path: string): void;
  close(): Promise<void>;
}

export function createLab(name: string): Lab {
  const ns = `dfd-${name}`;
  const namespaces = [ns];
  const children = new Set<ChildProcess>();
  const dir = mkdtempSync(join(tmpdir(), `${ns}-`));
  sh(`ip netns del ${ns} 2>/dev/null || true`);
  sh(`ip netns add ${ns} && ip -n ${ns} link set lo up`);

  const lab: Lab = {
    ns,
    dir,
    addBridge(k, cidr) {
      const br = `dfd-br${k}`;
      sh(`ip -n ${ns} link add ${br} type bridge && ip -n ${ns} link set ${br} type bridge stp_state 0 forward_delay 0`);
      if (cidr) sh(`ip -n ${ns} addr add ${cidr} dev ${br}`);
      sh(`ip -n ${ns} link set ${br} up`);
      return br;
    },
    addHost(host, bridge, cidr) {
      const hns = `${ns}-${host}`;
      sh(`ip netns del ${hns} 2>/dev/null || true`);
      sh(`ip netns add ${hns} && ip -n ${hns} link set lo up`);
      namespaces.push(hns);
      const outside = `dfd-p${host}`.slice(0, 15);
      const inside = `dfd-${host}`.slice(0, 15);
      sh(`ip -n ${ns} link add ${outside} type veth peer name ${inside} netns ${hns}`);
      sh(`ip -n ${ns} link set ${outside} master dfd-br${bridge} up`);
      if (cidr) sh(`ip -n ${hns} addr add ${cidr} dev ${inside}`);
      sh(`ip -n ${hns} link set ${inside} up`);
      // Without this, a UDP broadcast from a socket in a namespace with no routes fails with ENETUNREACH.
      sh(`ip -n ${hns} route add 255.255.255.255/32 dev ${inside}`);
      return hns;
    },
    exec: (n, cmd) => sh(`ip netns exec ${n} sh -c '${cmd.replace(/'/g, `'\\''`)}'`),
    run: (n, cmd) =>
      new Promise((resolve, reject) => {
        execFile('ip', ['netns', 'exec', n, 'sh', '-c', cmd], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
          err ? reject(new Error(`${cmd}\n failed: ${stderr || err.message}\n stdout: ${stdout.slice(-2000)}`)) : resolve(stdout),
        );
      }),
    spawnIn(n, argv, opts) {
      const child = spawn('ip', ['netns', 'exec', n, ...argv], { cwd: opts?.cwd ?? repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
      children.add(child);
      child.on('exit', () => children.delete(child));
      // Always drain: a child whose pipe nobody reads blocks on write once 64 KiB are queued
      // (dnsmasq logging every lease stalled exactly like that). lineReader adds listeners.
      child.stdout!.resume();
      child.stderr!.resume();
      return child;
    },
    async stop(child) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
    killPidFile(path) {
      try {
        const pid = Number(sh(`cat ${path}`).trim());
        if (pid > 0) process.kill(pid, 'SIGTERM');
      } catch {
        /* not running */
      }
    },
    async close() {
      await Promise.all([...children].map((c) => lab.stop(c)));
      for (const n of namespaces.reverse()) sh(`ip netns del ${n} 2>/dev/null || true`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return lab;
}

/** Collects a child's stdout lines; resolves `waitFor` when a line matches. */
export function lineReader(child: ChildProcess) {
  const lines: string[] = [];
  let buf = '';
  const waiters: Array<{ test: (l: string) => boolean; resolve: (l: string) => void }> = [];
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) if (w.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return {
    lines,
    stderr: () => stderr,
    waitFor(test: (l: string) => boolean, ms = 15000): Promise<string> {
      const hit = lines.find(test);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for output; stderr: ${stderr.slice(-2000)}`)), ms);
        waiters.push({ test, resolve: (l) => (clearTimeout(t), resolve(l)) });
      });
    },
  };
}
