/**
 * Swarm identity with real processes: a throwaway etcd and three `dragonfly serve --backend
 * etcd` instances, all on loopback. The first prints the admin password and a join token; the
 * second joins with it; the third joins with a token made by `dragonfly swarm join-token` on
 * the second. Then, over HTTP: an API token made on one works on all, its revocation is refused
 * by all (timed), a credential stored through one is listed by another, and `etcdctl get
 * --prefix /dragonfly` shows neither the secret nor the admin password.
 *
 *   node --import tsx e2e/swarm/identity.ts        (etcd, etcdctl; no root)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEtcd, type EtcdProcess } from '../../core/store/etcd/etcd-process.ts';

const repo = join(import.meta.dirname, '..', '..');
const bin = join(repo, 'bin', 'dragonfly.mjs');

interface Instance {
  url: string;
  out: () => string;
  child: ChildProcess;
}

function serve(etcd: string, dataDir: string, join?: string): Promise<Instance> {
  const args = [bin, 'serve', '--backend', 'etcd', '--etcd-endpoints', etcd, '--data-dir', dataDir, '--http-port', '0', '--listen', '127.0.0.1', '--tftp-port', '0', '--dhcp-mode', 'off', '--log-level', 'warn'];
  const child = spawn(process.execPath, join ? [...args, '--join', join] : args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance did not start within 90 s:\n${out}`)), 90_000);
    const onData = (d: Buffer) => {
      out += d.toString('utf8');
      const m = /Dragonfly API and UI at (http:\/\/\S+)/.exec(out);
      // the readiness lines come last: everything before them (password, join token) is printed
      if (m && /agent image|interface/i.test(out.slice(m.index))) {
        clearTimeout(timer);
        resolve({ url: m[1], out: () => out, child });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`instance exited (${code}):\n${out}`));
    });
  });
}

async function api(base: string, method: string, path: string, token?: string, body?: object): Promise<{ status: number; json: () => Promise<unknown> }> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: () => res.json() as Promise<unknown> };
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`FAILED: ${what}`);
  console.log(`ok: ${what}`);
}

export async function runIdentity(): Promise<{ revocationMs: number[] }> {
  const dirs: string[] = [];
  const instances: Instance[] = [];
  let etcd: EtcdProcess | undefined;
  try {
    etcd = await startEtcd();
    const dir = async () => {
      const d = await mkdtemp(join(tmpdir(), 'df-e2e-swarm-'));
      dirs.push(d);
      return d;
    };
    const a = await serve(etcd.endpoint, await dir());
    instances.push(a);
    const password = /admin password: (\S+)/.exec(a.out())?.[1];
    const joinToken = /--join (dfj1\.\S+)/.exec(a.out())?.[1];
    check(Boolean(password && joinToken), 'the first instance prints the admin password and a join token');
    const b = await serve(etcd.endpoint, await dir(), joinToken);
    instances.push(b);
    check(!/admin password:/.test(b.out()) && !/--join dfj1/.test(b.out()), 'the second instance joins and prints no admin password');
    const made = execFileSync(process.execPath, [bin, 'swarm', 'join-token', '--data-dir', dirs[1], '--etcd-endpoints', etcd.endpoint], { encoding: 'utf8' });
    const c = await serve(etcd.endpoint, await dir(), made.split('\n')[0].trim());
    instances.push(c);
    check(!/admin password:/.test(c.out()), 'a third joins with a token from `dragonfly swarm join-token` on the second');

    const login = await api(b.url, 'POST', '/api/v1/auth/login', undefined, { username: 'admin', password });
    check(login.status === 200, 'the first instance\'s admin password signs in on the second');
    const session = ((await login.json()) as { token: string }).token;
    const made2 = (await (await api(c.url, 'POST', '/api/v1/tokens', session, { name: 'e2e' })).json()) as { id: string; token: string };
    const codes = await Promise.all(instances.map(async (i) => (await api(i.url, 'GET', '/api/v1/auth/whoami', made2.token)).status));
    check(codes.every((s) => s === 200), `an API token made on the third works on all three (${codes.join(', ')})`);

    const t0 = Date.now();
    check((await api(a.url, 'DELETE', `/api/v1/tokens/${made2.id}`, session)).status === 204, 'revoked on the first');
    const revocationMs = await Promise.all(instances.map((i) => untilRefused(i.url, made2.token, t0)));
    check(Math.max(...revocationMs) < 5000, `the revocation is refused by all within 5 s (${revocationMs.join(', ')} ms)`);

    const cred = await api(a.url, 'POST', '/api/v1/credentials', session, { name: 'e2e-bmc', username: 'root', secret: 'e2e-secret-Kx93' });
    check(cred.status < 300, 'a BMC credential stored through the first');
    const listed = (await (await api(c.url, 'GET', '/api/v1/credentials', session)).json()) as { items: Array<{ name: string }> };
    check(listed.items.some((i) => i.name === 'e2e-bmc'), 'the third lists it');
    const dump = execFileSync('etcdctl', ['--endpoints', etcd.endpoint, 'get', '--prefix', '/dragonfly'], { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8' });
    check(dump.includes('/dragonfly/swarm/secrets/credentials/e2e-bmc') && !dump.includes('e2e-secret-Kx93') && !dump.includes(password!), 'etcdctl get --prefix /dragonfly shows neither the secret nor the admin password');
    return { revocationMs };
  } finally {
    for (const i of instances) i.child.kill('SIGTERM');
    await Promise.all(instances.map((i) => new Promise((r) => (i.child.exitCode !== null ? r(null) : i.child.once('exit', r)))));
    await etcd?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }
}

async function untilRefused(base: string, token: string, t0: number): Promise<number> {
  for (;;) {
    if ((await api(base, 'GET', '/api/v1/auth/whoami', token)).status === 401) return Date.now() - t0;
    if (Date.now() - t0 > 10_000) throw new Error(`${base} still accepts a revoked token after 10 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runIdentity().then(
    (r) => console.log(`PASS: one identity across 3 instances; revocation refused by all after ${Math.max(...r.revocationMs)} ms`),
    (e) => {
      console.error(`FAIL: ${(e as Error).stack ?? e}`);
      process.exitCode = 1;
    },
  );
}
