/**
 * One `dragonfly serve --backend etcd` instance of the imaging scenario, in its lab namespace
 * dfs-sw-nK on the bridge (10.79.0.1K, HTTP 8080, TFTP 69, DHCP full mode through the swarm's
 * leader election), and the operator's HTTP calls to it. Run from inside the lab (the operator's
 * namespace dfs-sw-op), which reaches every instance over the bridge.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './swarm-lab.ts';

export const instanceIp = (k: number) => `10.79.0.1${k}`;
const bin = join(repoRoot, 'bin', 'dragonfly.mjs');

export interface Instance {
  k: number;
  ip: string;
  url: string;
  child: ChildProcess;
  out: () => string;
}

/** Starts instance k; resolves once its own process answers /healthz. */
export async function startInstance(k: number, etcd: string, dataDir: string, joinToken?: string): Promise<Instance> {
  const ip = instanceIp(k);
  const args = [
    'netns', 'exec', `dfs-sw-n${k}`, process.execPath, bin, 'serve', '--backend', 'etcd', '--etcd-endpoints', etcd, '--data-dir', dataDir,
    '--http-port', '8080', '--listen', '0.0.0.0', '--interface', `dfs-n${k}`, '--dhcp-mode', 'full', '--dhcp-range', '10.79.0.100-10.79.0.199',
    '--advertise-address', ip, '--tftp-port', '69', '--log-level', 'info', ...(joinToken ? ['--join', joinToken] : []),
  ];
  const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  const inst: Instance = { k, ip, url: `http://${ip}:8080`, child, out: () => out };
  const until = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`instance n${k} exited at start: ${out.slice(-2000)}`);
    if (/Dragonfly API and UI at/.test(out)) {
      const ok = await fetch(`${inst.url}/healthz`, { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false);
      if (ok) return inst;
    }
    if (Date.now() > until) throw new Error(`instance n${k} did not answer /healthz within 120 s: ${out.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** SIGKILL (no clean exit: its etcd leases expire by themselves); resolves when it is gone. */
export async function killInstance(i: Instance): Promise<void> {
  if (i.child.exitCode !== null || i.child.signalCode !== null) return;
  const gone = new Promise((r) => i.child.once('exit', r));
  i.child.kill('SIGKILL');
  await gone;
}

export async function stopInstance(i: Instance): Promise<void> {
  if (i.child.exitCode !== null || i.child.signalCode !== null) return;
  const gone = new Promise((r) => i.child.once('exit', r));
  i.child.kill('SIGTERM');
  const t = setTimeout(() => i.child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(t);
}

/** An API call with the operator's session; throws naming the call and the answer unless 2xx. */
export async function api<T = unknown>(i: Instance, token: string | undefined, method: string, path: string, body?: unknown, timeoutMs = 60_000): Promise<T> {
  const res = await fetch(i.url + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${i.url}${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/** Polls `step` until it returns a value (not undefined); the error names `what` and the last thing seen. */
export async function until<T>(what: string, ms: number, step: () => Promise<T | undefined>, intervalMs = 500): Promise<T> {
  const end = Date.now() + ms;
  let last = '';
  for (;;) {
    try {
      const v = await step();
      if (v !== undefined) return v;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}${last ? ` (last: ${last})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
