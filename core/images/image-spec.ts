import { createHash } from 'node:crypto';
import { invalid } from '../shared/errors.ts';

/** Formats the cache can turn into a raw disk. */
export type SourceFormat = 'raw' | 'gz' | 'xz' | 'zst' | 'qcow2' | 'tar.xz' | 'tar.gz' | 'tar';
export const sourceFormats: readonly SourceFormat[] = ['raw', 'gz', 'xz', 'zst', 'qcow2', 'tar.xz', 'tar.gz', 'tar'];

export type DigestAlgorithm = 'sha256' | 'sha512';

/**
 * The digest of the downloaded FILE (what distributions publish): either the digest itself
 * or the address of a SHA256SUMS/SHA512SUMS file listing it by file name.
 */
export type FileChecksum = `${DigestAlgorithm}:${string}` | { url: string; algorithm: DigestAlgorithm };

/** What an image2disk action (or an operator) asks the cache for. */
export interface ImageSpec {
  /** http(s) URL, or cache:NAME for an image imported from a local file. */
  url: string;
  /** "sha256:hex" or "sha512:hex" of the decompressed raw disk. */
  checksum?: string;
  fileChecksum?: FileChecksum;
  /** Format of what the URL serves; absent = from the URL's suffix. */
  format?: string;
}

export interface Digest {
  algorithm: DigestAlgorithm;
  hex: string;
}

export function parseDigest(s: string, field: string): Digest {
  const m = /^(sha256|sha512):([0-9a-f]+)$/.exec(s.trim().toLowerCase());
  const want = m?.[1] === 'sha512' ? 128 : 64;
  if (!m || m[2].length !== want) throw invalid(`${field} "${s}" must be sha256:<64 hex digits> or sha512:<128 hex digits>`);
  return { algorithm: m[1] as DigestAlgorithm, hex: m[2] };
}

/** cache:NAME names an imported image; NAME becomes its file name, so it is kept to a safe alphabet. */
export function cacheName(url: string): string | undefined {
  if (!url.startsWith('cache:')) return undefined;
  const name = url.slice('cache:'.length);
  if (!/^[a-z0-9][a-z0-9._-]{0,99}$/.test(name) || name.includes('..')) {
    throw invalid(`image url "${url}": NAME in cache:NAME must be lower-case letters, digits, '.', '_' or '-'`);
  }
  return name;
}

/** The file name at the end of a URL's path. */
export function urlFileName(url: string): string {
  const path = new URL(url).pathname;
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
}

/** Source format from the declared one, else the URL's suffix; `.img` and `.qcow2` are qcow2 (Ubuntu's cloud .img is qcow2). */
export function sourceFormat(spec: ImageSpec): SourceFormat {
  if (spec.format) {
    if (!(sourceFormats as readonly string[]).includes(spec.format)) throw invalid(`image format "${spec.format}" is not one of ${sourceFormats.join(', ')}`);
    return spec.format as SourceFormat;
  }
  const name = spec.url.replace(/[?#].*$/, '').toLowerCase();
  const bySuffix: Array<[RegExp, SourceFormat]> = [
    [/\.tar\.xz$/, 'tar.xz'],
    [/\.(tar\.gz|tgz)$/, 'tar.gz'],
    [/\.tar$/, 'tar'],
    [/\.(qcow2|img)$/, 'qcow2'],
    [/\.(gz|gzip)$/, 'gz'],
    [/\.xz$/, 'xz'],
    [/\.(zst|zstd)$/, 'zst'],
  ];
  return bySuffix.find(([re]) => re.test(name))?.[1] ?? 'raw';
}

/**
 * The cache key: a readable stem from the file name plus a short hash of the URL, so two
 * images with the same file name ("disk.qcow2" from two mirrors) never share a file.
 */
export function cacheKey(spec: ImageSpec): string {
  const imported = cacheName(spec.url);
  if (imported) return imported;
  let stem: string;
  try {
    stem = urlFileName(spec.url);
  } catch {
    throw invalid(`image url "${spec.url}" is not a URL`);
  }
  stem = stem.toLowerCase().replace(/\.(tar\.xz|tar\.gz|tgz|tar|qcow2|img|raw|gz|xz|zst)$/, '').replace(/[^a-z0-9.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  const tag = createHash('sha256').update(spec.url).digest('hex').slice(0, 10);
  return `${(stem || 'image').slice(0, 80)}-${tag}`;
}

/**
 * The digest for `fileName` in a SHA256SUMS/SHA512SUMS text. Takes GNU coreutils lines
 * ("hex  name", "hex *name") and BSD-style lines ("SHA512 (name) = hex").
 */
export function digestFromSums(text: string, fileName: string, algorithm: DigestAlgorithm): string | undefined {
  const len = algorithm === 'sha256' ? 64 : 128;
  for (const line of text.split(/\r?\n/)) {
    const gnu = /^([0-9a-fA-F]+) [ *](.+)$/.exec(line.trim());
    const bsd = /^SHA(256|512) \((.+)\) = ([0-9a-fA-F]+)$/.exec(line.trim());
    const [hex, name] = gnu ? [gnu[1], gnu[2]] : bsd ? [bsd[3], bsd[2]] : [];
    if (hex && name && hex.length === len && (name === fileName || name.endsWith(`/${fileName}`))) return hex.toLowerCase();
  }
  return undefined;
}
