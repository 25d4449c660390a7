import { DragonflyError } from '../shared/errors.ts';
import { discardLogger, type Logger } from '../shared/logger.ts';
import type { Store } from './store.ts';

export const backendNames = ['memory', 'lowdb', 'etcd', 'kubernetes'] as const;
export type BackendName = (typeof backendNames)[number];

export interface StoreConfig {
  /**
   * Which backend holds the state. Default "lowdb".
   * - memory: nothing survives the process (tests, throwaway runs);
   * - lowdb: a JSON file in `dataDir`, durable, one process per directory (the desktop default);
   * - etcd: shared by several instances through an etcd cluster (`etcdEndpoints`);
   * - kubernetes: custom resources (group dragonfly.computer/v1) in a cluster (`kubeconfig`).
   */
  backend?: BackendName;
  /** lowdb: directory for dragonfly.json and dragonfly.lock; created if missing. Required for lowdb. */
  dataDir?: string;
  /** etcd: client URLs. Default ["http://127.0.0.1:2379"]. */
  etcdEndpoints?: string[];
  /** etcd: key prefix. Default "/dragonfly/v1/" (objects at /dragonfly/v1/<Kind>/<name>). */
  etcdPrefix?: string;
  /** etcd: deadline of each request in milliseconds. Default 5000; 0 means none. */
  etcdRequestTimeoutMs?: number;
  /**
   * kubernetes: path of a kubeconfig file. Default: the usual search
   * (KUBECONFIG, ~/.kube/config, then the in-cluster service account).
   */
  kubeconfig?: string;
  /** kubernetes: namespace of the custom resources. Default: the kubeconfig context's namespace, else "default". */
  kubernetesNamespace?: string;
  /** Default: discardLogger. */
  logger?: Logger;
}

/** Validates a backend name from configuration or DRAGONFLY_BACKEND; a typo names the choices. */
export function parseBackendName(s: string): BackendName {
  if ((backendNames as readonly string[]).includes(s)) return s as BackendName;
  throw new DragonflyError('DF_ERR_INVALID', `unknown store backend "${s}"; choose one of ${backendNames.join(', ')}`);
}

/**
 * Opens the configured backend. The only place that picks one (DESIGN.md §7); backends
 * are imported on demand so a desktop run never loads the etcd or Kubernetes clients.
 */
export async function openStore(config: StoreConfig = {}): Promise<Store> {
  const logger = (config.logger ?? discardLogger).child({ module: 'store' });
  const backend = parseBackendName(config.backend ?? 'lowdb');
  switch (backend) {
    case 'memory':
      return (await import('./memory/memory-store.ts')).createMemoryStore();
    case 'lowdb': {
      if (!config.dataDir) throw new DragonflyError('DF_ERR_INVALID', 'the lowdb store needs a data directory (dataDir)');
      const { createLowdbStore } = await import('./lowdb/lowdb-store.ts');
      return createLowdbStore({ dataDir: config.dataDir, logger });
    }
    case 'etcd': {
      const { createEtcdStore } = await import('./etcd/etcd-store.ts');
      return createEtcdStore({
        endpoints: config.etcdEndpoints?.length ? config.etcdEndpoints : ['http://127.0.0.1:2379'],
        prefix: config.etcdPrefix,
        requestTimeoutMs: config.etcdRequestTimeoutMs,
        logger,
      });
    }
    case 'kubernetes': {
      const { createKubernetesStore } = await import('./kubernetes/kubernetes-store.ts');
      return createKubernetesStore({ kubeconfig: config.kubeconfig, namespace: config.kubernetesNamespace, logger });
    }
  }
}
