import type { Command } from 'commander';

/**
 * Where a swarm's backend is, as `serve` and `dragonfly swarm ...` take it: one declaration, so a
 * member's commands name the backend the way its serve command did (parsed by core/app/config.ts,
 * with the same environment variables).
 */
export const swarmBackendOptions = (c: Command): Command =>
  c
    .option('--etcd-endpoints <urls>', 'comma-separated etcd URLs (env DRAGONFLY_ETCD_ENDPOINTS; default http://127.0.0.1:2379)')
    .option('--kubeconfig <file>', 'backend kubernetes: kubeconfig file (env DRAGONFLY_KUBECONFIG; default KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--kubernetes-namespace <ns>', 'backend kubernetes: namespace of the resources and the swarm\'s Secrets (env DRAGONFLY_KUBERNETES_NAMESPACE; default the context\'s)');
