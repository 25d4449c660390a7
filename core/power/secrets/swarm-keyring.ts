/**
 * The swarm data key as it changes: seals under the current key, opens under the current or
 * the previous one (each sealed value names its key id), and follows a rotation made by any
 * member (the "keyring" entry carries the new key sealed under the old one).
 */
import { randomBytes } from 'node:crypto';
import { DragonflyError } from '../../shared/errors.ts';
import type { SharedKv } from '../../shared/shared-kv.ts';
import { KEY_BYTES } from './key-provider.ts';
import { SecretBox } from './secret-box.ts';
import type { Sealer } from './secret-store.ts';
import { DATA_KEY_CONTEXT, KEYRING, KEYRING_NEXT, keyIdOf, readKeyring, unwrapKey, type Keyring } from './swarm-key.ts';

export class SwarmKeyring implements Sealer {
  private readonly boxes = new Map<string, { key: Buffer; box: SecretBox }>();
  private current: string;
  private unwatch: () => void = () => {};

  constructor(key: Buffer) {
    this.current = this.add(key);
  }

  get keyId(): string {
    return this.current;
  }

  /** The current key itself (for join tokens and the local sealed copy). */
  get key(): Buffer {
    return this.boxes.get(this.current)!.key;
  }

  private add(key: Buffer): string {
    const id = keyIdOf(key);
    this.boxes.set(id, { key, box: new SecretBox(key, `swarm data key ${id}`) });
    return id;
  }

  seal(plaintext: string, context = ''): string {
    return this.boxes.get(this.current)!.box.seal(plaintext, context);
  }

  open(sealed: string, context = ''): string {
    const id = sealed.split('.')[1] ?? '';
    return (this.boxes.get(id) ?? this.boxes.get(this.current)!).box.open(sealed, context);
  }

  /** Learns the key a rotation published (sealed under one this keyring knows), so it can open under it. */
  learn(chain: Keyring): void {
    const prev = chain.previous && this.boxes.get(chain.previous.keyId);
    if (prev && !this.boxes.has(chain.keyId)) this.add(unwrapKey(prev.box.open(chain.previous!.sealedNext, DATA_KEY_CONTEXT)));
  }

  /** Seals under `keyId` from now on, if known; true when that is a change. */
  switchTo(keyId: string): boolean {
    if (keyId === this.current || !this.boxes.has(keyId)) return false;
    this.current = keyId;
    return true;
  }

  /**
   * Follows rotations made by any member: "keyring-next" teaches the new key, and only the
   * switch of "keyring" (which may lose a race) makes it the one to seal under. `onRotated`
   * saves the new key on disk.
   */
  async follow(kv: SharedKv, onRotated: (key: Buffer) => Promise<void>): Promise<void> {
    this.unwatch = await kv.watch(KEYRING, (key, value) => {
      if (value === undefined) return;
      try {
        const ring = JSON.parse(value) as Keyring;
        if (key === KEYRING_NEXT) this.learn(ring);
        if (key === KEYRING && this.switchTo(ring.keyId)) void onRotated(this.key).catch(() => {});
      } catch {
        // not sealed under a key this member knows: it catches up (or is told to join again) at its next start
      }
    });
  }

  stop(): void {
    this.unwatch();
  }
}

/**
 * Makes a new data key current for the whole swarm: published sealed under the old one for
 * `chainSeconds` (members follow at once; one that was down catches up within that time), then
 * `reseal` re-encrypts every secret under it. Returns the new key id.
 */
export async function rotateDataKey(kv: SharedKv, keyring: SwarmKeyring, reseal: () => Promise<void>, chainSeconds = 3600): Promise<string> {
  const entry = await kv.get(KEYRING);
  const ring = await readKeyring(kv);
  if (!entry || !ring) throw new DragonflyError('DF_ERR_NOT_FOUND', `${kv.description} holds no swarm`);
  if (ring.keyId !== keyring.keyId) throw new DragonflyError('DF_ERR_CONFLICT', `the swarm's key changed meanwhile (now ${ring.keyId}); run the rotation again`);
  const next = randomBytes(KEY_BYTES);
  const published: Keyring = { keyId: keyIdOf(next), previous: { keyId: keyring.keyId, sealedNext: keyring.seal(next.toString('base64'), DATA_KEY_CONTEXT) } };
  await kv.put(KEYRING_NEXT, JSON.stringify(published), { ttlSeconds: chainSeconds });
  if (!(await kv.put(KEYRING, JSON.stringify({ keyId: published.keyId }), { ifVersion: entry.version }))) {
    throw new DragonflyError('DF_ERR_CONFLICT', 'another member rotated the key at the same moment; run the rotation again');
  }
  keyring.learn(published);
  keyring.switchTo(published.keyId);
  await reseal();
  return published.keyId;
}
