import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SharedKv } from '../../shared/shared-kv.ts';
import { freePort } from '../etcd/etcd-process.ts';
import { openKubernetesKv, secretNameOf } from './kubernetes-kv.ts';
import { startKubeTestServer, type KubeTestServer } from './testing/test-server.ts';

// The swarm's SharedKv over Secrets, against the Kubernetes test server (published API shapes, loopback).
let server: KubeTestServer;
let dir: string;
let kubeconfig: string;
const open: SharedKv[] = [];
let n = 0;

beforeAll(async () => {
  server = await startKubeTestServer();
  dir = await mkdtemp(join(tmpdir(), 'df-kube-kv-'));
  kubeconfig = join(dir, 'kubeconfig');
  const cluster = { server: server.url, 'insecure-skip-tls-verify': true };
  await writeFile(kubeconfig, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'lab', cluster }], users: [{ name: 'u', user: {} }], contexts: [{ name: 'lab', context: { cluster: 'lab', user: 'u' } }], 'current-context': 'lab' }));
});

afterAll(async () => {
  for (const kv of open) await kv.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** Two instances' views of one fresh namespace. */
async function pair(): Promise<[SharedKv, SharedKv, string]> {
  const namespace = `kv-${++n}`;
  const kvs = [await openKubernetesKv({ kubeconfig, namespace, sweepSeconds: 0.2 }), await openKubernetesKv({ kubeconfig, namespace, sweepSeconds: 0.2 })];
  open.push(...kvs);
  return [kvs[0], kvs[1], namespace];
}

async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not true within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('SharedKv over Kubernetes Secrets', () => {
  it('a key with "/" and ":" is one Secret named from its hash, the value base64 in data, the key an annotation', async () => {
    const [a, b, ns] = await pair();
    expect(await a.put('images/cache:x/abc', 'v1')).toBe(true);
    expect(await b.get('images/cache:x/abc')).toMatchObject({ key: 'images/cache:x/abc', value: 'v1' });
    const res = await fetch(`${server.url}/api/v1/namespaces/${ns}/secrets/${secretNameOf('images/cache:x/abc')}`);
    const s = (await res.json()) as { type: string; data: { value: string }; metadata: { annotations: Record<string, string> } };
    expect(s.type).toBe('dragonfly.computer/swarm-entry');
    expect(s.data.value).toBe(Buffer.from('v1').toString('base64'));
    expect(s.metadata.annotations['dragonfly.computer/key']).toBe('images/cache:x/abc');
  });

  it('compare-and-set: "" only when absent, a version only while it is current', async () => {
    const [a, b] = await pair();
    expect(await a.put('ring', 'one', { ifVersion: '' })).toBe(true);
    expect(await b.put('ring', 'two', { ifVersion: '' })).toBe(false);
    const e = (await b.get('ring'))!;
    expect(await b.put('ring', 'two', { ifVersion: e.version })).toBe(true);
    expect(await a.put('ring', 'three', { ifVersion: e.version })).toBe(false);
    expect((await a.get('ring'))!.value).toBe('two');
    expect(await a.put('missing', 'x', { ifVersion: e.version })).toBe(false);
  });

  it('list returns the prefix in key order; delete of a missing key is quiet', async () => {
    const [a] = await pair();
    for (const k of ['p/b', 'p/a', 'q/a']) await a.put(k, k);
    expect((await a.list('p/')).map((e) => e.key)).toEqual(['p/a', 'p/b']);
    await a.delete('p/a');
    await a.delete('p/a');
    expect((await a.list('p/')).map((e) => e.key)).toEqual(['p/b']);
  });

  it('an entry with a TTL is gone after it: reads miss it and another instance\'s watch sees it deleted', async () => {
    const [a, b] = await pair();
    const seen: Array<[string, string | undefined]> = [];
    const stop = await b.watch('joins/', (k, v) => seen.push([k, v]));
    await a.put('joins/x', 'sealed', { ttlSeconds: 1 });
    await until(() => seen.length === 1);
    expect(seen[0]).toEqual(['joins/x', 'sealed']);
    await until(() => seen.length === 2, 5000);
    expect(seen[1]).toEqual(['joins/x', undefined]);
    expect(await b.get('joins/x')).toBeUndefined();
    expect(await a.put('joins/x', 'again', { ifVersion: '' })).toBe(true);
    stop();
  });

  it('the API server refuses a Secret whose data is not base64, naming the field', async () => {
    const res = await fetch(`${server.url}/api/v1/namespaces/raw/secrets`, { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { value: 'not base64!' } }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('illegal base64 data in data.value');
  });

  it('an unreachable API server fails the start naming it', async () => {
    const bad = join(dir, 'bad-kubeconfig');
    const url = `http://127.0.0.1:${await freePort()}`;
    await writeFile(bad, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'x', cluster: { server: url, 'insecure-skip-tls-verify': true } }], users: [{ name: 'u', user: {} }], contexts: [{ name: 'x', context: { cluster: 'x', user: 'u' } }], 'current-context': 'x' }));
    await expect(openKubernetesKv({ kubeconfig: bad })).rejects.toThrow(`Kubernetes ${url}, Secrets labelled dragonfly.computer/swarm-entry in namespace default: cannot list the swarm entries: cannot reach it`);
  });
});
