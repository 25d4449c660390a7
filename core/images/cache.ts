import { EventEmitter } from 'node:events';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { DragonflyError, invalid, isDragonflyError } from '../shared/errors.ts';
import { discardLogger, type Logger } from '../shared/logger.ts';
import { fileDigest, openRawDisk, writeServedGzip, type RawDisk, type SourceFile } from './convert.ts';
import { downloadResumable } from './download.ts';
import { checkFreeSpace, DEFAULT_MAX_IMAGE_BYTES, keepFree, servedBytesBound } from './space.ts';
import type { ImagePeerMode, ImagePeers, PeerImage } from './peers.ts';
import type { ImageStatus } from '../model/image-status.ts';
import { cacheKey, cacheName, digestFromSums, parseDigest, sourceFormat, urlFileName, type Digest, type DigestAlgorithm, type ImageSpec } from './image-spec.ts';

export type { ImageState, ImageStatus } from '../model/image-status.ts';

export interface ReadyImage {
  key: string;
  url: string;
  file: string;
  fileBytes: number;
  rawBytes: number;
  rawSha256: string;
  /** Raw digests by algorithm (sha512 too when the template gave one). */
  rawDigests: Partial<Record<DigestAlgorithm, string>>;
}

export interface ImageCacheOptions {
  /** DATA_DIR/images: served files live here, partial work in its .incoming/ folder. */
  dir: string;
  logger?: Logger;
  fetch?: typeof fetch;
  now?: () => Date;
  /** Minimum ms between "downloading" status events; default 500. */
  progressIntervalMs?: number;
  /** Download retry wait, ms, for attempt n; default 500 ms doubling to 15 s. */
  backoffMs?: (n: number) => number;
  /** A download that receives nothing for this long is resumed on a new connection, ms; default 60000. */
  idleTimeoutMs?: number;
  /**
   * Largest image accepted, bytes: the downloaded file, and the raw disk a header claims or a
   * stream produces. Default DEFAULT_MAX_IMAGE_BYTES (2 TiB); a claim past it fails the image
   * before anything is written. 0 accepts only empty images.
   */
  maxImageBytes?: number;
  /**
   * Free space kept in the images directory while converting a stream whose output size is not
   * known up front (gz, xz, zst), bytes; the conversion stops when less is free. Default 256 MiB;
   * 0 stops it only when the disk is full.
   */
  reserveBytes?: number;
}

/** Served copy: gzip of the raw disk (why gzip: see writeServedGzip in convert.ts). */
export const SERVED_EXTENSION = 'raw.gz';
const SUMS_LIMIT = 4 << 20;
/** After a refused copy from another instance, ms before asking that instance again (so the reason stays visible). */
const PEER_RETRY_MS = 60_000;

/**
 * The control plane's image cache: each image is downloaded once (resumably), verified,
 * turned into a gzip raw disk the agent streams straight to disk, and served from the
 * images directory. Status changes are emitted as 'status' events with an ImageStatus.
 */
export class ImageCache {
  readonly events = new EventEmitter();
  private readonly statuses = new Map<string, ImageStatus>();
  private readonly ready = new Map<string, ReadyImage>();
  private readonly inflight = new Map<string, Promise<ReadyImage>>();
  private readonly incoming: string;
  private readonly log: Logger;
  /** Largest image accepted, bytes (ImageCacheOptions.maxImageBytes); uploads are held to it too. */
  readonly maxBytes: number;
  private peers?: ImagePeers;
  private peerMode: ImagePeerMode = 'copy';
  private readonly peerFailedAt = new Map<string, number>(); // "KEY INSTANCE" -> ms
  private readonly copyingFrom = new Map<string, string>();

  /** Where the finished images are (what /images/ serves). */
  get dir(): string {
    return this.o.dir;
  }

  constructor(private readonly o: ImageCacheOptions) {
    this.incoming = join(o.dir, '.incoming');
    this.log = o.logger ?? discardLogger;
    this.maxBytes = o.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  }

  /** Reads what earlier runs finished; removes half-written conversions (a .part download is kept to resume). */
  async load(): Promise<void> {
    await mkdir(this.incoming, { recursive: true });
    for (const f of await readdir(this.incoming)) if (f.endsWith('.tmp')) await rm(join(this.incoming, f), { force: true });
    for (const f of await readdir(this.o.dir)) {
      if (!f.endsWith('.json')) continue;
      const img = await readFile(join(this.o.dir, f), 'utf8')
        .then((t) => JSON.parse(t) as ReadyImage)
        .catch(() => undefined);
      const st = img && (await stat(join(this.o.dir, img.file)).catch(() => undefined));
      if (img && st?.size === img.fileBytes) this.markReady(img);
    }
  }

  list(): ImageStatus[] {
    const peers = this.peers;
    if (!peers) return [...this.statuses.values()].sort((a, b) => a.key.localeCompare(b.key));
    const keys = [...new Set([...this.statuses.keys(), ...peers.keys()])].sort();
    return keys.map((key) => {
      const held = peers.holders(key);
      const s = this.statuses.get(key) ?? { key, url: held[0]?.source ?? key, state: 'absent' as const, updatedAt: this.now() };
      return { ...s, heldBy: [...(s.state === 'ready' ? [peers.self()] : []), ...held.map((p) => p.instance)] };
    });
  }

  /** Swarm mode: the other instances, to copy images from (copyFromPeer) or send machines to (redirectFor). */
  usePeers(peers: ImagePeers, mode: ImagePeerMode = 'copy'): void {
    this.peers = peers;
    this.peerMode = mode;
  }

  /** Another instance holding the image ready, with the digest the spec asks for; none that refused a copy within the last minute. */
  private holderOf(spec: ImageSpec): PeerImage | undefined {
    const key = cacheKey(spec);
    const want = spec.checksum ? parseDigest(spec.checksum, 'checksum') : undefined;
    const recentlyFailed = (p: PeerImage) => Date.now() - (this.peerFailedAt.get(`${key} ${p.instance}`) ?? 0) < PEER_RETRY_MS;
    // a copy is verified by sha256 alone, so a template's sha512 could never vouch for it
    return this.peers?.holders(key).find((p) => !recentlyFailed(p) && (!want || (want.algorithm === 'sha256' && p.rawSha256 === want.hex)));
  }

  /**
   * Swarm mode with `--image-peers redirect`: the image as another instance serves it, for a
   * machine to read there, when this instance does not hold it ready; undefined otherwise.
   */
  redirectFor(spec: ImageSpec): PeerImage | undefined {
    if (this.peerMode !== 'redirect' || this.readyFor(spec)) return undefined;
    return this.holderOf(spec);
  }

  /**
   * Swarm mode with `--image-peers copy` (the default): starts copying an image this instance lacks from another instance that holds it
   * (never from the internet), verified by the raw sha256 that instance published; returns that
   * instance, or undefined when none can serve it (each refused copy rules its instance out for a minute).
   */
  copyFromPeer(spec: ImageSpec): string | undefined {
    const key = cacheKey(spec);
    if (!this.peers || this.peerMode !== 'copy' || this.readyFor(spec)) return undefined;
    if (this.inflight.has(key)) return this.copyingFrom.get(key);
    const peer = this.holderOf(spec);
    if (!peer) return undefined;
    const copy: ImageSpec = { url: spec.url, format: 'gz', checksum: `sha256:${peer.rawSha256}` };
    const work = () =>
      this.download(key, copy, peer)
        .catch((e: Error) => {
          this.peerFailedAt.set(`${key} ${peer.instance}`, Date.now());
          throw new DragonflyError(isDragonflyError(e) ? e.code : 'DF_ERR_UNAVAILABLE', `the copy from instance ${peer.instance} was refused: ${e.message}`);
        })
        .finally(() => this.copyingFrom.delete(key));
    this.copyingFrom.set(key, peer.instance);
    this.once(key, spec.url, work).catch(() => {}); // the status records a failure, with its reason
    return peer.instance;
  }

  status(spec: ImageSpec): ImageStatus {
    const key = cacheKey(spec);
    return this.statuses.get(key) ?? { key, url: spec.url, state: 'absent', updatedAt: this.now() };
  }

  /** The cached image for a spec, if it is ready and matches the spec's raw checksum. */
  readyFor(spec: ImageSpec): ReadyImage | undefined {
    const img = this.ready.get(cacheKey(spec));
    return img && matchesChecksum(img, spec) ? img : undefined;
  }

  /**
   * Whether `file` (a path under the images directory) may be served to machines: a finished
   * entry, or a file the operator put at the top of the directory by hand (the lab does). Never
   * a cache record (KEY.json) or anything under .incoming/ (downloads and conversions in
   * progress). Links are refused by the file server itself.
   */
  servable(file: string): boolean {
    if (this.byFile(file)) return true;
    return !file.includes('/') && !file.includes(sep) && !file.startsWith('.') && !file.endsWith('.json');
  }

  /** The ready image served as `file` (for an X-Uncompressed-Length header). */
  byFile(file: string): ReadyImage | undefined {
    return [...this.ready.values()].find((i) => i.file === file);
  }

  /** Downloads, verifies and converts the image once; concurrent calls share the work. */
  ensure(spec: ImageSpec): Promise<ReadyImage> {
    const key = cacheKey(spec);
    const have = this.readyFor(spec);
    if (have) return Promise.resolve(have);
    const name = cacheName(spec.url);
    if (name && this.copyFromPeer(spec)) return this.inflight.get(key) as Promise<ReadyImage>; // swarm: another instance imported it
    if (name) return Promise.reject(new DragonflyError('DF_ERR_NOT_FOUND', `image cache:${name} is not in the cache; import the file first (POST /api/v1/images/import)`));
    if (!spec.checksum && !spec.fileChecksum) {
      return Promise.reject(invalid(`image ${spec.url}: give checksum (of the raw disk) or fileChecksum (of the downloaded file) so the download can be verified`));
    }
    return this.once(key, spec.url, () => this.download(key, spec));
  }

  /**
   * Imports an image from a file the operator provides; it is then `cache:NAME`. A descriptor
   * (an import from the import folder) needs its format given, and stays open: its owner closes it.
   */
  importFile(path: SourceFile, spec: Omit<ImageSpec, 'url'> & { name: string }): Promise<ReadyImage> {
    const url = `cache:${spec.name}`;
    const key = cacheName(url) as string;
    const full = { ...spec, url, format: spec.format ?? (typeof path === 'string' ? sourceFormat({ url: path }) : 'raw') };
    return this.once(key, url, async () => {
      await this.verifyFile(path, full);
      return this.convert(key, full, path);
    });
  }

  /**
   * Imports an image as it arrives (an upload): `open` gives its raw disk once the name is
   * known to be free. A name already cached or being prepared is refused, never replaced.
   */
  importStream(name: string, format: string, open: () => RawDisk): Promise<ReadyImage> {
    const url = `cache:${name}`;
    const key = cacheName(url) as string;
    if (this.ready.has(key) || this.inflight.has(key)) {
      return Promise.reject(new DragonflyError('DF_ERR_ALREADY_EXISTS', `image ${url} is already in the cache or being prepared; remove it first or choose another name`));
    }
    return this.once(key, url, () => this.convert(key, { url, format }, open));
  }

  /** Deletes a ready image (its served file and record). */
  async remove(key: string): Promise<void> {
    const img = this.ready.get(key);
    if (!img) throw new DragonflyError('DF_ERR_NOT_FOUND', `image ${key} not found`);
    if (this.inflight.has(key)) throw new DragonflyError('DF_ERR_CONFLICT', `image ${key} is being prepared`);
    await rm(join(this.o.dir, `${key}.json`), { force: true });
    await rm(join(this.o.dir, img.file), { force: true });
    this.ready.delete(key);
    this.statuses.delete(key);
    this.events.emit('removed', key);
  }

  private once(key: string, url: string, work: () => Promise<ReadyImage>): Promise<ReadyImage> {
    const running = this.inflight.get(key);
    if (running) return running;
    const p = work()
      .catch((err: Error) => {
        this.setStatus({ key, url, state: 'failed', error: err.message });
        this.log.warn({ key, url, err: err.message }, 'image preparation failed');
        throw err;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /** `peer`: copy the gzip another instance serves instead (never resumed: each instance compresses its own). */
  private async download(key: string, spec: ImageSpec, peer?: PeerImage): Promise<ReadyImage> {
    await mkdir(this.incoming, { recursive: true });
    const downloaded = join(this.incoming, peer ? `${key}.from-peer` : `${key}.download`);
    if (peer) for (const f of [downloaded, `${downloaded}.part`]) await rm(f, { force: true });
    if (!(await stat(downloaded).catch(() => undefined))) {
      const part = `${downloaded}.part`;
      const from = peer && { from: peer.instance };
      this.setStatus({ key, url: spec.url, state: 'downloading', bytesDone: 0, ...from });
      let last = 0;
      const every = this.o.progressIntervalMs ?? 500;
      await downloadResumable({
        url: peer?.fileUrl ?? spec.url,
        partPath: part,
        fetch: this.o.fetch,
        backoffMs: this.o.backoffMs,
        idleTimeoutMs: this.o.idleTimeoutMs,
        maxStalledAttempts: peer ? 2 : undefined, // a gone instance is given up quickly: another may hold it
        maxBytes: this.maxBytes,
        checkSpace: (bytes) => checkFreeSpace(this.incoming, bytes, `downloading image ${spec.url}`),
        onProgress: (p) => {
          const t = Date.now();
          if (t - last < every && p.bytesDone !== p.bytesTotal) return;
          last = t;
          this.setStatus({ key, url: spec.url, state: 'downloading', ...p, ...from });
        },
      });
      await rename(part, downloaded);
    }
    try {
      await this.verifyFile(downloaded, spec);
    } catch (err) {
      await rm(downloaded, { force: true }); // a bad download must not be converted on the next try either
      throw err;
    }
    try {
      const img = await this.convert(key, spec, downloaded, peer && `instance ${peer.instance} published`);
      await rm(downloaded, { force: true });
      return img;
    } catch (err) {
      // Kept only when space ran short, to convert once space is freed; a file that cannot be converted is not kept.
      if (!isDragonflyError(err, 'DF_ERR_UNAVAILABLE')) await rm(downloaded, { force: true });
      throw err;
    }
  }

  /** Checks the downloaded file against fileChecksum (a digest, or a line of a SUMS file). */
  private async verifyFile(path: SourceFile, spec: ImageSpec): Promise<void> {
    const fc = spec.fileChecksum;
    if (!fc) return;
    const want: Digest = typeof fc === 'string' ? parseDigest(fc, 'fileChecksum') : { algorithm: fc.algorithm, hex: await this.sumsDigest(fc.url, spec.url, fc.algorithm) };
    const got = await fileDigest(path, want.algorithm);
    if (got !== want.hex) {
      throw new DragonflyError('DF_ERR_INVALID', `image ${spec.url}: the downloaded file's ${want.algorithm} is ${got}, but ${want.hex} was published; the download is corrupt or the image was replaced upstream`);
    }
  }

  private async sumsDigest(sumsUrl: string, imageUrl: string, algorithm: DigestAlgorithm): Promise<string> {
    const res = await (this.o.fetch ?? fetch)(sumsUrl, { redirect: 'follow' });
    if (!res.ok) throw new DragonflyError('DF_ERR_UNAVAILABLE', `checksum list ${sumsUrl} answered ${res.status}`);
    const text = await res.text();
    if (text.length > SUMS_LIMIT) throw invalid(`checksum list ${sumsUrl} is larger than ${SUMS_LIMIT} bytes`);
    const name = urlFileName(imageUrl);
    const hex = digestFromSums(text, name, algorithm);
    if (!hex) throw invalid(`checksum list ${sumsUrl} has no ${algorithm} line for ${name}`);
    return hex;
  }

  /**
   * Turns the source into the served gzip. Headers are checked and free space is compared with
   * the largest possible output before anything is written; on any failure the half-written
   * files are removed, so the status says "failed" with the reason and the directory holds nothing of it.
   */
  /** `claim`: who gave the expected raw digest, for the message when it does not match. */
  /** `source`: a file path or an open file (an import), or the raw disk of a stream (an upload). */
  private async convert(key: string, spec: ImageSpec, source: SourceFile | (() => RawDisk), claim = 'the template says'): Promise<ReadyImage> {
    this.setStatus({ key, url: spec.url, state: 'converting' });
    const want = spec.checksum ? parseDigest(spec.checksum, 'checksum') : undefined;
    const file = `${key}.${SERVED_EXTENSION}`;
    const tmp = join(this.incoming, `${file}.tmp`);
    const jsonTmp = join(this.incoming, `${key}.json.tmp`);
    let published = false;
    let disk: RawDisk | undefined;
    await mkdir(this.incoming, { recursive: true });
    try {
      const limits = { maxRawBytes: this.maxBytes };
      disk = typeof source === 'function' ? source() : await openRawDisk(source, sourceFormat(spec), limits);
      const r = await writeServedGzip(await this.withinFreeSpace(disk, spec.url), tmp, want?.algorithm, limits);
      if (want && r.rawDigests[want.algorithm] !== want.hex) {
        throw invalid(`image ${spec.url}: the raw disk's ${want.algorithm} is ${r.rawDigests[want.algorithm]}, but ${claim} ${want.hex}`);
      }
      const img: ReadyImage = { key, url: spec.url, file, fileBytes: r.servedBytes, rawBytes: r.rawBytes, rawSha256: r.rawDigests.sha256 as string, rawDigests: r.rawDigests };
      await rename(tmp, join(this.o.dir, file));
      published = true;
      await writeFile(jsonTmp, JSON.stringify(img, null, 2));
      await rename(jsonTmp, join(this.o.dir, `${key}.json`));
      this.markReady(img);
      this.log.info({ key, rawBytes: img.rawBytes, fileBytes: img.fileBytes }, 'image ready');
      return img;
    } catch (err) {
      await disk?.close();
      await rm(tmp, { force: true });
      await rm(jsonTmp, { force: true });
      if (published) await rm(join(this.o.dir, file), { force: true }); // a served file without its record is never found again
      throw conversionError(spec.url, err);
    }
  }

  /**
   * The disk's data once free space allows it: a disk whose size is known is refused up front
   * when its largest possible output does not fit; a stream of unknown size is watched instead.
   */
  private async withinFreeSpace(disk: RawDisk, url: string): Promise<AsyncIterable<Uint8Array>> {
    const what = `converting image ${url}`;
    if (disk.size === undefined) return keepFree(disk.data, this.incoming, this.o.reserveBytes ?? 256 << 20, what);
    const data = disk.dataBytes ?? disk.size;
    await checkFreeSpace(this.incoming, servedBytesBound(data, disk.size - data), what);
    return disk.data;
  }

  private markReady(img: ReadyImage): void {
    this.ready.set(img.key, img);
    const { key, url, file, fileBytes, rawBytes, rawSha256 } = img;
    this.setStatus({ key, url, state: 'ready', file, fileBytes, rawBytes, rawSha256 });
  }

  private setStatus(s: Omit<ImageStatus, 'updatedAt'>): void {
    const full = { ...s, updatedAt: this.now() };
    this.statuses.set(s.key, full);
    this.events.emit('status', full);
  }

  private now(): string {
    return (this.o.now?.() ?? new Date()).toISOString();
  }
}

function conversionError(url: string, err: unknown): DragonflyError {
  if (err instanceof DragonflyError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOSPC') return new DragonflyError('DF_ERR_UNAVAILABLE', `image ${url} could not be converted: the images directory ran out of space`);
  return invalid(`image ${url} could not be converted: ${e.message}`);
}

function matchesChecksum(img: ReadyImage, spec: ImageSpec): boolean {
  if (!spec.checksum) return true;
  const want = parseDigest(spec.checksum, 'checksum');
  return img.rawDigests[want.algorithm] === want.hex; // a digest never computed cannot vouch for the image
}
