/**
 * Images follow the machines (swarm mode, issue 18): each instance publishes the images it holds
 * ready in the shared KV under images/KEY/INSTANCE, rewritten every third of a TTL so that a dead
 * instance's entries go away by themselves, and watches what the others hold. The cache asks this
 * view when a machine needs an image this instance lacks (ImageCache.copyFromPeer).
 */
import { createHash } from 'node:crypto';
import { discardLogger, type Logger } from '../shared/logger.ts';
import type { SharedKv } from '../shared/shared-kv.ts';
import type { ImageCache, ImageStatus } from './cache.ts';
import type { ImagePeers, PeerImage } from './peers.ts';

export interface SwarmImagesOptions {
  kv: SharedKv;
  cache: ImageCache;
  /** This instance's boot URL base; read at each publish, so it follows the network settings. */
  self: () => string;
  /** The URL of one of this instance's served image files. */
  fileUrl: (file: string) => string;
  /** Lifetime of a published entry, seconds; each is rewritten every third of it. Default 30; 0 is refused. */
  ttlSeconds?: number;
  logger?: Logger;
}

const PREFIX = 'images/';

export class SwarmImages implements ImagePeers {
  private readonly seen = new Map<string, PeerImage>(); // KV key -> entry, every instance
  private readonly id: string;
  private readonly ttl: number;
  private readonly log: Logger;
  private timer?: NodeJS.Timeout;
  private unwatch?: () => void;
  private readonly onStatus = (s: ImageStatus) => void this.publish(s);
  private readonly onRemoved = (key: string) => void this.unpublish(key);

  private constructor(private readonly o: SwarmImagesOptions) {
    // stable across restarts on the same address, so a restart overwrites its old entries
    this.id = createHash('sha256').update(o.self()).digest('hex').slice(0, 16);
    this.ttl = o.ttlSeconds ?? 30;
    if (!(this.ttl > 0)) throw new Error(`swarm image entries need a TTL above 0 seconds, not ${this.ttl}`);
    this.log = o.logger ?? discardLogger;
  }

  /** Publishes what the cache holds, follows its changes and watches the other instances. */
  static async start(o: SwarmImagesOptions): Promise<SwarmImages> {
    const s = new SwarmImages(o);
    s.unwatch = await o.kv.watch(PREFIX, (key, value) => s.note(key, value));
    for (const e of await o.kv.list(PREFIX)) s.note(e.key, e.value);
    o.cache.events.on('status', s.onStatus);
    o.cache.events.on('removed', s.onRemoved);
    await s.publishAll();
    s.timer = setInterval(() => void s.publishAll(), (s.ttl * 1000) / 3);
    s.timer.unref();
    return s;
  }

  self(): string {
    return this.o.self();
  }

  holders(key: string): PeerImage[] {
    const mine = this.kvKey(key);
    return [...this.seen].filter(([k]) => k.startsWith(`${PREFIX}${key}/`) && k !== mine).map(([, v]) => v);
  }

  keys(): string[] {
    const own = `/${this.id}`;
    return [...new Set([...this.seen.keys()].filter((k) => !k.endsWith(own)).map((k) => k.slice(PREFIX.length, k.lastIndexOf('/'))))];
  }

  /** Stops publishing and withdraws this instance's entries (the others stop asking it at once). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.unwatch?.();
    this.o.cache.events.off('status', this.onStatus);
    this.o.cache.events.off('removed', this.onRemoved);
    for (const s of this.o.cache.list()) if (s.state === 'ready') await this.unpublish(s.key);
  }

  private kvKey(key: string): string {
    return `${PREFIX}${key}/${this.id}`;
  }

  private note(key: string, value: string | undefined): void {
    const entry = value === undefined ? undefined : parsePeerImage(value);
    if (entry) this.seen.set(key, entry);
    else this.seen.delete(key);
    if (value !== undefined && !entry) this.log.debug({ key }, 'unreadable swarm image entry ignored');
  }

  private async publishAll(): Promise<void> {
    for (const s of this.o.cache.list()) if (s.state === 'ready') await this.publish(s);
  }

  private async publish(s: ImageStatus): Promise<void> {
    if (s.state !== 'ready' || !s.file || !s.rawSha256 || s.rawBytes === undefined) return;
    const entry: PeerImage = { instance: this.o.self(), source: s.url, fileUrl: this.o.fileUrl(s.file), rawSha256: s.rawSha256, rawBytes: s.rawBytes };
    await this.o.kv.put(this.kvKey(s.key), JSON.stringify(entry), { ttlSeconds: this.ttl }).catch((e: Error) => this.log.warn({ key: s.key, err: e.message }, 'could not publish a swarm image'));
  }

  private async unpublish(key: string): Promise<void> {
    await this.o.kv.delete(this.kvKey(key)).catch((e: Error) => this.log.warn({ key, err: e.message }, 'could not withdraw a swarm image'));
  }
}

/** An entry as another instance wrote it, or undefined when it is not one. */
export function parsePeerImage(text: string): PeerImage | undefined {
  let v: Partial<PeerImage>;
  try {
    v = JSON.parse(text) as Partial<PeerImage>;
  } catch {
    return undefined;
  }
  const strings = [v.instance, v.source, v.fileUrl].every((x) => typeof x === 'string' && x.length > 0);
  const ok = strings && typeof v.rawSha256 === 'string' && /^[0-9a-f]{64}$/.test(v.rawSha256) && Number.isSafeInteger(v.rawBytes);
  return ok ? (v as PeerImage) : undefined;
}
