import type { Credential } from './credential-store.ts';

/**
 * What services need of a store of secrets, whichever holds it: the 0600 file of one instance
 * (CredentialStore) or the shared backend of a swarm (SharedSecretStore), whose writes are
 * asynchronous. Reads stay synchronous: both answer them from memory or disk at once.
 */
export interface SecretStore {
  get(ref: string): Credential | undefined;
  set(ref: string, credential: Credential): void | Promise<void>;
  delete(ref: string): boolean | Promise<boolean>;
  refs(): string[];
}

/** Seals and opens one secret (SecretBox, or the swarm's key that follows rotations). */
export interface Sealer {
  seal(plaintext: string, context?: string): string;
  open(sealed: string, context?: string): string;
}
