/**
 * Credentials (and secret template values) of a swarm, in the shared backend: one entry per
 * reference under "secrets/<store>/", each sealed under the swarm data key with the
 * reference as additional data, so a reader of etcd sees neither the secret nor can move
 * one sealed value to another reference. A local copy, kept by a watch, answers reads
 * synchronously (power and console code asks on every call); writes wait for etcd.
 */
import type { SharedKv } from '../../shared/shared-kv.ts';
import type { Credential } from './credential-store.ts';
import type { Sealer, SecretStore } from './secret-store.ts';

export const SECRETS = 'secrets/';
/** A full re-read this often (ms) covers a watch that went quiet (etcd restarted, network cut). */
const RESYNC_MS = 5000;

export class SharedSecretStore implements SecretStore {
  private readonly sealed = new Map<string, string>();
  private unwatch: () => void = () => {};
  private timer?: NodeJS.Timeout;
  /** Counts changes seen (watch, own writes): a re-read that overlapped one is dropped, it may be older. */
  private changes = 0;

  private constructor(
    private readonly kv: SharedKv,
    private readonly prefix: string,
    private readonly box: Sealer,
  ) {}

  /** `name`: which store ("credentials", "template-secrets"); each has its own references. */
  static async open(kv: SharedKv, name: string, box: Sealer): Promise<SharedSecretStore> {
    const s = new SharedSecretStore(kv, `${SECRETS}${name}/`, box);
    s.unwatch = await kv.watch(s.prefix, (key, value) => {
      const ref = key.slice(s.prefix.length);
      s.changes++;
      if (value === undefined) s.sealed.delete(ref);
      else s.sealed.set(ref, value);
    });
    await s.resync(true);
    s.timer = setInterval(() => void s.resync().catch(() => {}), RESYNC_MS);
    s.timer.unref();
    return s;
  }

  /** `first`: the load at open, applied whatever happened meanwhile (the next re-read corrects it). */
  private async resync(first = false): Promise<void> {
    const before = this.changes;
    const entries = await this.kv.list(this.prefix);
    if (!first && this.changes !== before) return;
    const fresh = new Map(entries.map((e) => [e.key.slice(this.prefix.length), e.value]));
    for (const ref of [...this.sealed.keys()]) if (!fresh.has(ref)) this.sealed.delete(ref);
    for (const [ref, v] of fresh) this.sealed.set(ref, v);
  }

  get(ref: string): Credential | undefined {
    const sealed = this.sealed.get(ref);
    return sealed === undefined ? undefined : (JSON.parse(this.box.open(sealed, this.context(ref))) as Credential);
  }

  async set(ref: string, credential: Credential): Promise<void> {
    const sealed = this.box.seal(JSON.stringify(credential), this.context(ref));
    await this.kv.put(this.prefix + ref, sealed);
    this.changes++;
    this.sealed.set(ref, sealed);
  }

  async delete(ref: string): Promise<boolean> {
    const had = (await this.kv.get(this.prefix + ref)) !== undefined;
    if (had) await this.kv.delete(this.prefix + ref);
    this.changes++;
    this.sealed.delete(ref);
    return had;
  }

  refs(): string[] {
    return [...this.sealed.keys()].sort();
  }

  /** Re-seals every entry under the box's current key (after a data key rotation). */
  async reseal(): Promise<number> {
    let n = 0;
    for (const e of await this.kv.list(this.prefix)) {
      const ref = e.key.slice(this.prefix.length);
      const again = this.box.seal(this.box.open(e.value, this.context(ref)), this.context(ref));
      if (await this.kv.put(e.key, again, { ifVersion: e.version })) n++;
    }
    return n;
  }

  private context(ref: string): string {
    return this.prefix + ref;
  }

  close(): void {
    clearInterval(this.timer);
    this.unwatch();
  }
}
