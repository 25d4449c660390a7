/**
 * Where a swarm keeps what its instances share (identity, sealed secrets, join records, published
 * images): the one place that picks the SharedKv for a backend. Everything above it (swarm
 * identity, secrets, images) is one implementation over SharedKv, whichever backend this is.
 */
import type { SharedKv } from '../shared/shared-kv.ts';

export type SwarmBackend =
  | { backend: 'etcd'; etcdEndpoints: string[] }
  /** Secrets in the namespace the custom resources live in (kubeconfig context's namespace unless given). */
  | { backend: 'kubernetes'; kubeconfig?: string; kubernetesNamespace?: string };

/** The backends whose instances form a swarm; lowdb and memory are one instance each. */
export const isSwarmBackend = (backend: string): backend is SwarmBackend['backend'] => backend === 'etcd' || backend === 'kubernetes';

export async function openSwarmKv(b: SwarmBackend): Promise<SharedKv> {
  if (b.backend === 'etcd') return (await import('../swarm/etcd-kv.ts')).openEtcdKv({ endpoints: b.etcdEndpoints });
  const { openKubernetesKv } = await import('../store/kubernetes/kubernetes-kv.ts');
  return openKubernetesKv({ kubeconfig: b.kubeconfig, namespace: b.kubernetesNamespace });
}

/** The swarm backend a configuration names (etcd endpoints, or the kubeconfig and namespace). */
export function swarmBackendOf(c: { backend: SwarmBackend['backend']; etcdEndpoints?: string[]; kubeconfig?: string; kubernetesNamespace?: string }): SwarmBackend {
  return c.backend === 'etcd' ? { backend: 'etcd', etcdEndpoints: c.etcdEndpoints?.length ? c.etcdEndpoints : ['http://127.0.0.1:2379'] } : { backend: 'kubernetes', kubeconfig: c.kubeconfig, kubernetesNamespace: c.kubernetesNamespace };
}
