/**
 * The swarm scenario's network, all in namespaces this code creates (prefix dfs-sw):
 *
 *   dfs-sw        bridge dfs-br0 (layer 2 only)
 *   dfs-sw-etcd   dfs-etcd  10.79.0.2/24   etcd
 *   dfs-sw-nK     dfs-nK    10.79.0.1K/24  Dragonfly instance K (K = 1..3)
 *   dfs-sw-c      dfs-c     no address     DHCP clients
 *   dfs-sw        dfs-tapN  (taps)         QEMU VMs of the imaging scenario, run in dfs-sw
 *
 * Nothing here touches the root namespace's interfaces; close() removes every namespace.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');
/** The namespace that holds the bridge (and the VMs' taps). */
export const ROOT_NS = 'dfs-sw';

/** The last 2000 characters each spawned child wrote to stderr, for the error when it dies. */
const stderrTails = new WeakMap<ChildProcess, string>();

const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export interface SwarmLab {
  dir: string;
  /** Namespace name for a host ("etcd", "n1", "c"); its interface is `dfs-<host>`. */
  ns(host: string): string;
  spawnIn(host: string, argv: string[]): ChildProcess;
  run(host: string, cmd: string): Promise<string>;
  close(): Promise<void>;
}

/** `taps`: tap interfaces made in ROOT_NS on the bridge, for QEMU run there. */
export function createSwarmLab(hosts: Array<{ name: string; cidr?: string }>, taps: string[] = []): SwarmLab {
  const namespaces: string[] = [];
  const children = new Set<ChildProcess>();
  const dir = mkdtempSync(join(tmpdir(), 'dfs-sw-'));
  const addNs = (n: string) => {
    sh(`ip netns del ${n} 2>/dev/null || true`);
    sh(`ip netns add ${n} && ip -n ${n} link set lo up`);
    namespaces.push(n);
  };
  const lab: SwarmLab = {
    dir,
    ns: (h) => `${ROOT_NS}-${h}`,
    spawnIn(h, argv) {
      const c = spawn('ip', ['netns', 'exec', lab.ns(h), ...argv], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(c);
      c.on('exit', () => children.delete(c));
      c.stdout!.resume();
      stderrTails.set(c, '');
      c.stderr!.on('data', (d: Buffer) => stderrTails.set(c, (stderrTails.get(c)! + d.toString()).slice(-2000)));
      return c;
    },
    run: (h, cmd) =>
      new Promise((res, rej) => {
        const c = spawn('ip', ['netns', 'exec', lab.ns(h), 'sh', '-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        c.stdout.on('data', (d) => (out += d));
        c.stderr.on('data', (d) => (err += d));
        c.on('exit', (code) => (code === 0 ? res(out) : rej(new Error(`${cmd} failed (${code}): ${err}${out}`))));
      }),
    async close() {
      for (const c of children) c.kill('SIGKILL');
      // Processes a child started in these namespaces (the imaging scenario's instances, QEMU) die with them.
      for (const n of namespaces) for (const pid of sh(`ip netns pids ${n} 2>/dev/null || true`).split(/\s+/).filter(Boolean)) sh(`kill -9 ${pid} 2>/dev/null || true`);
      await new Promise((r) => setTimeout(r, 100));
      for (const n of namespaces.reverse()) sh(`ip netns del ${n} 2>/dev/null || true`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    addNs(ROOT_NS);
    sh(`ip -n ${ROOT_NS} link add dfs-br0 type bridge && ip -n ${ROOT_NS} link set dfs-br0 type bridge stp_state 0 forward_delay 0 && ip -n ${ROOT_NS} link set dfs-br0 up`);
    for (const h of hosts) {
      const n = lab.ns(h.name);
      addNs(n);
      const inside = `dfs-${h.name}`;
      sh(`ip -n ${ROOT_NS} link add dfs-p${h.name} type veth peer name ${inside} netns ${n}`);
      sh(`ip -n ${ROOT_NS} link set dfs-p${h.name} master dfs-br0 up`);
      if (h.cidr) sh(`ip -n ${n} addr add ${h.cidr} dev ${inside}`);
      sh(`ip -n ${n} link set ${inside} up`);
      // Broadcasts from 0.0.0.0 need a route, else ENETUNREACH (LAB.md).
      sh(`ip -n ${n} route add 255.255.255.255/32 dev ${inside}`);
    }
    for (const t of taps) sh(`ip netns exec ${ROOT_NS} ip tuntap add dev ${t} mode tap && ip -n ${ROOT_NS} link set ${t} master dfs-br0 up`);
  } catch (e) {
    void lab.close();
    throw e;
  }
  return lab;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a log line is whatever JSON the instance printed; callers probe fields
type LogLine = Record<string, any>;

/**
 * JSON lines from a child's stdout, with a way to wait for one that matches. A wait ends with
 * an error as soon as the child exits without the line (not at its timeout), naming the exit
 * and the child's stderr: a restarted instance that dies at start is reported as such.
 */
export function jsonLines(child: ChildProcess) {
  const lines: LogLine[] = [];
  type Waiter = { test: (l: LogLine) => boolean; resolve: (l: LogLine) => void; fail: (why: string) => void };
  const waiters: Waiter[] = [];
  let exit: string | undefined;
  // 'close', not 'exit': a line printed just before exiting is read first
  child.once('close', (code, signal) => {
    exit = `exited (${signal ?? `code ${code}`}); stderr: ${stderrTails.get(child)?.trim() || '(none)'}`;
    for (const w of waiters.splice(0)) w.fail(exit);
  });
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const text = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let line: LogLine;
      try {
        line = JSON.parse(text);
      } catch {
        continue;
      }
      lines.push(line);
      for (const w of [...waiters]) {
        if (!w.test(line)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  return {
    lines,
    waitFor(test: (l: LogLine) => boolean, what: string, ms = 20_000): Promise<LogLine> {
      const found = lines.find(test);
      if (found) return Promise.resolve(found);
      if (exit) return Promise.reject(new Error(`${what}: the process ${exit}`));
      return new Promise((res, rej) => {
        const w: Waiter = {
          test,
          resolve: (l) => (clearTimeout(t), res(l)),
          fail: (why) => (clearTimeout(t), rej(new Error(`${what}: the process ${why}`))),
        };
        const t = setTimeout(() => (waiters.splice(waiters.indexOf(w), 1), rej(new Error(`timed out waiting for ${what}`))), ms);
        waiters.push(w);
      });
    },
  };
}
