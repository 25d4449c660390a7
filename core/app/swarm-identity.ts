/**
 * What makes several instances on one backend one control plane: the shared key-value view,
 * the swarm data key (created by the first instance, taken from a join token by the others)
 * and the identity (operators, API tokens, sessions, machine-token signing key) in the backend.
 */
import { AuthService } from '../auth/auth-service.ts';
import type { KeyProvider } from '../power/secrets/key-provider.ts';
import { SecretBox } from '../power/secrets/secret-box.ts';
import { makeJoinToken, openSwarmKey } from '../power/secrets/swarm-key.ts';
import type { SharedKv } from '../shared/shared-kv.ts';
import { openEtcdKv } from '../swarm/etcd-kv.ts';

export interface SwarmIdentity {
  kv: SharedKv;
  /** Seals and opens secrets in the backend, under the swarm data key. */
  box: SecretBox;
  auth: AuthService;
  /** Only on the instance that created the swarm. */
  initialPassword?: string;
  /** Only on the instance that created the swarm: a join token for the next ones (1 h). */
  joinToken?: { token: string; expiresAt: string };
  /** A fresh join token (`dragonfly swarm join-token`, POST /api/v1/swarm/join-tokens). */
  makeJoinToken(seconds?: number): Promise<{ token: string; expiresAt: string }>;
  close(): Promise<void>;
}

export interface SwarmIdentityOptions {
  dataDir: string;
  etcdEndpoints: string[];
  /** This instance's own key (0600 key file or OS keychain): seals the data key on disk. */
  local: KeyProvider;
  joinToken?: string;
}

export async function openSwarmIdentity(o: SwarmIdentityOptions): Promise<SwarmIdentity> {
  const kv = await openEtcdKv({ endpoints: o.etcdEndpoints });
  try {
    const { key, created } = await openSwarmKey({ kv, dataDir: o.dataDir, local: o.local, joinToken: o.joinToken });
    const box = new SecretBox(key, 'the swarm data key');
    const { auth, initialPassword } = await AuthService.openShared(o.dataDir, kv, box);
    const joinToken = created ? await makeJoinToken(kv, key) : undefined;
    return {
      kv,
      box,
      auth,
      initialPassword,
      joinToken,
      makeJoinToken: (seconds) => makeJoinToken(kv, key, seconds),
      close: async () => {
        await auth.close();
        await kv.close();
      },
    };
  } catch (e) {
    await kv.close();
    throw e;
  }
}
