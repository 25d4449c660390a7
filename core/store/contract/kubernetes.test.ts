import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDragonflyError } from '../../shared/errors.ts';
import { freePort } from '../etcd/etcd-process.ts';
import { createKubernetesStore } from '../kubernetes/kubernetes-store.ts';
import { startKubeTestServer, type KubeTestServer } from '../kubernetes/testing/test-server.ts';
import type { Store } from '../store.ts';
import { hardware } from './fixtures.ts';
import { runStoreContract } from './store-contract.ts';

let server: KubeTestServer;
let dir: string;

/** A kubeconfig file pointing at `url`, as an operator would have. */
async function kubeconfigFor(url: string): Promise<string> {
  const path = join(dir, `kubeconfig-${randomBytes(3).toString('hex')}`);
  await writeFile(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // Plain HTTP on loopback: the client allows it only with TLS verification off (as behind kubectl proxy).
      clusters: [{ name: 'lab', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'tech', user: {} }],
      contexts: [{ name: 'lab', context: { cluster: 'lab', user: 'tech', namespace: 'dragonfly' } }],
      'current-context': 'lab',
    }),
  );
  return path;
}

beforeAll(async () => {
  server = await startKubeTestServer();
  dir = await mkdtemp(join(tmpdir(), 'df-kube-'));
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const nsOf = new WeakMap<Store, string>();
async function openIn(namespace: string): Promise<Store> {
  const s = await createKubernetesStore({ kubeconfig: await kubeconfigFor(server.url), namespace });
  nsOf.set(s, namespace);
  return s;
}

// Each test its own namespace, so tests cannot see each other's objects.
runStoreContract('kubernetes', {
  open: () => openIn(`t-${randomBytes(4).toString('hex')}`),
  reopen: async (s) => {
    await s.close();
    return openIn(nsOf.get(s)!);
  },
  forgetHistory: async (s) => {
    server.compact();
    return s;
  },
});

describe('kubernetes store', () => {
  it('uses the namespace of the kubeconfig context when none is given', async () => {
    const s = await createKubernetesStore({ kubeconfig: await kubeconfigFor(server.url) });
    try {
      await s.create(hardware('ctx-ns'));
      const res = await fetch(`${server.url}/apis/dragonfly.computer/v1/namespaces/dragonfly/hardware/ctx-ns`);
      expect(res.status).toBe(200);
      await s.delete('Hardware', 'ctx-ns');
    } finally {
      await s.close();
    }
  });

  it('an unreachable API server fails the start with an error naming it', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const err = await createKubernetesStore({ kubeconfig: await kubeconfigFor(url) }).catch((e: unknown) => e);
    expect(isDragonflyError(err, 'DF_ERR_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toContain(`cannot reach the Kubernetes API at ${url}`);
  });
});
