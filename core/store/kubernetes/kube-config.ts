import { KubeConfig } from '@kubernetes/client-node';
import { DragonflyError } from '../../shared/errors.ts';

/** Where to find the cluster: shared by the store (custom resources) and the swarm's entries (Secrets). */
export interface KubeTarget {
  /** Path of a kubeconfig file. Default: KUBECONFIG, ~/.kube/config, then the in-cluster service account. */
  kubeconfig?: string;
  /** A ready KubeConfig (tests); wins over `kubeconfig`. */
  kubeConfig?: KubeConfig;
  /** Namespace. Default: the current context's namespace, else "default". */
  namespace?: string;
}

/** The loaded config, the API server's URL (for messages) and the namespace to use. */
export function loadKubeTarget(o: KubeTarget): { kc: KubeConfig; server: string; namespace: string } {
  const kc = o.kubeConfig ?? new KubeConfig();
  if (!o.kubeConfig) {
    try {
      if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
      else kc.loadFromDefault();
    } catch (e) {
      throw new DragonflyError('DF_ERR_INVALID', `cannot load the kubeconfig ${o.kubeconfig ?? '(default search)'}: ${(e as Error).message}`);
    }
  }
  const server = kc.getCurrentCluster()?.server ?? '(no cluster in kubeconfig)';
  const namespace = o.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  return { kc, server, namespace };
}

export interface HttpError {
  code?: number;
  statusCode?: number;
  body?: unknown;
  message?: string;
}

/** The HTTP status of a failed API call, undefined when the server was never reached. */
export function httpCodeOf(e: HttpError): number | undefined {
  const code: unknown = e.code ?? e.statusCode; // a socket error's code is a string (ECONNREFUSED)
  return typeof code === 'number' ? code : undefined;
}

/** The `reason` of the Status object the API server answered with (AlreadyExists, Conflict, ...). */
export function reasonOf(e: HttpError): string | undefined {
  const body = typeof e.body === 'string' ? (() => { try { return JSON.parse(e.body as string); } catch { return undefined; } })() : e.body;
  return (body as { reason?: string } | undefined)?.reason;
}
