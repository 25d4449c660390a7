/**
 * What makes several instances on one backend one control plane: the shared key-value view,
 * the swarm data key (created by the first instance, taken from a join token by the others),
 * the identity (operators, API tokens, sessions, machine-token signing key) and the secrets
 * (BMC credentials, secret template values), sealed under the data key, in the backend.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AuthService } from '../auth/auth-service.ts';
import { CredentialStore } from '../power/secrets/credential-store.ts';
import type { KeyProvider } from '../power/secrets/key-provider.ts';
import { SecretBox } from '../power/secrets/secret-box.ts';
import { SharedSecretStore } from '../power/secrets/shared-secret-store.ts';
import { makeJoinToken, openSwarmKey, saveLocal } from '../power/secrets/swarm-key.ts';
import { rotateDataKey, SwarmKeyring } from '../power/secrets/swarm-keyring.ts';
import type { SharedKv } from '../shared/shared-kv.ts';
import { openSwarmKv, type SwarmBackend } from './swarm-kv.ts';

export interface SwarmIdentity {
  kv: SharedKv;
  /** Seals and opens secrets in the backend, under the swarm data key (following rotations). */
  keyring: SwarmKeyring;
  auth: AuthService;
  credentials: SharedSecretStore;
  templateSecrets: SharedSecretStore;
  /** Only on the instance that created the swarm. */
  initialPassword?: string;
  /** Only on the instance that created the swarm: a join token for the next ones (1 h). */
  joinToken?: { token: string; expiresAt: string };
  /** A fresh join token (`dragonfly swarm join-token`). */
  makeJoinToken(seconds?: number): Promise<{ token: string; expiresAt: string }>;
  /** A new data key for the whole swarm, every secret re-sealed under it (`dragonfly swarm rotate-key`); returns its id. */
  rotateKey(chainSeconds?: number): Promise<string>;
  close(): Promise<void>;
}

export interface SwarmIdentityOptions {
  dataDir: string;
  /** etcd or Kubernetes: where the shared entries live (swarm-kv.ts). */
  shared: SwarmBackend;
  /** This instance's own key (0600 key file or OS keychain): seals the data key on disk. */
  local: KeyProvider;
  joinToken?: string;
  /** A member's tools: never create a swarm. */
  mustExist?: boolean;
}

export async function openSwarmIdentity(o: SwarmIdentityOptions): Promise<SwarmIdentity> {
  const kv = await openSwarmKv(o.shared);
  const closers: Array<() => unknown> = [() => kv.close()];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c();
  };
  try {
    const { key, created } = await openSwarmKey({ kv, dataDir: o.dataDir, local: o.local, joinToken: o.joinToken, mustExist: o.mustExist });
    const keyring = new SwarmKeyring(key);
    const localBox = await SecretBox.open(o.local);
    await keyring.follow(kv, (k) => saveLocal(o.dataDir, localBox, k));
    closers.push(() => keyring.stop());
    const { auth, initialPassword } = await AuthService.openShared(o.dataDir, kv, keyring);
    closers.push(() => auth.close());
    const credentials = await SharedSecretStore.open(kv, 'credentials', keyring);
    closers.push(() => credentials.close());
    const templateSecrets = await SharedSecretStore.open(kv, 'template-secrets', keyring);
    closers.push(() => templateSecrets.close());
    if (created) await bringLocalSecrets(o.dataDir, localBox, { credentials, templateSecrets });
    const rotateKey = async (chainSeconds?: number) => {
      const id = await rotateDataKey(kv, keyring, async () => {
        await credentials.reseal();
        await templateSecrets.reseal();
        await auth.reseal();
      }, chainSeconds);
      await saveLocal(o.dataDir, localBox, keyring.key);
      return id;
    };
    return {
      kv,
      keyring,
      auth,
      credentials,
      templateSecrets,
      initialPassword,
      joinToken: created ? await makeJoinToken(kv, key) : undefined,
      makeJoinToken: (seconds) => makeJoinToken(kv, keyring.key, seconds),
      rotateKey,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** The swarm's first instance brings the secrets it kept alone before (its 0600 files) into the backend. */
async function bringLocalSecrets(dataDir: string, localBox: SecretBox, to: { credentials: SharedSecretStore; templateSecrets: SharedSecretStore }): Promise<void> {
  for (const [file, store] of [['credentials.json', to.credentials], ['template-secrets.json', to.templateSecrets]] as const) {
    if (!existsSync(join(dataDir, file))) continue;
    const local = new CredentialStore(join(dataDir, file), localBox);
    for (const ref of local.refs()) await store.set(ref, local.get(ref)!);
  }
}
