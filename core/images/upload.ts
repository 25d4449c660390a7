/**
 * An image file sent by the operator (UI or CLI) as the body of one request: checked before a
 * byte is read, converted as it arrives (raw sha256 and served gzip in one pass, through the
 * cache's own conversion), published only when the whole declared length arrived.
 */
import { Readable } from 'node:stream';
import { DragonflyError, invalid } from '../shared/errors.ts';
import type { ImageCache, ReadyImage } from './cache.ts';
import { rawDiskFromStream, type StreamFormat } from './convert.ts';
import { bytesText, checkFreeSpace } from './space.ts';

/** The suffixes an upload may carry, longest first; qcow2 and tar need seeking, so they go through the import folder. */
const UPLOAD_SUFFIXES: Array<[string, StreamFormat]> = [
  ['.raw.gz', 'gz'],
  ['.raw.xz', 'xz'],
  ['.raw.zst', 'zst'],
  ['.raw', 'raw'],
];

export interface UploadRequest {
  /** The file's name on the operator's machine: a plain name, which gives the format. */
  fileName: string;
  /** cache:NAME it becomes; default: from the file name. */
  name?: string;
  /** Bytes the sender declared (Content-Length). */
  declaredBytes: number;
  body: Readable;
  /** Largest upload accepted, bytes; default the cache's maxImageBytes; 0 accepts only empty files. */
  maxBytes?: number;
  /** Called as bytes arrive (at most every `progressEveryMs`) and once when all arrived. */
  onProgress?: (bytesReceived: number) => void;
  /** Minimum ms between progress calls; default 250. */
  progressEveryMs?: number;
}

export interface UploadTarget {
  name: string;
  format: StreamFormat;
}

/** Refuses a file name that is not a plain name (no folder, no dot-file, no control characters) or has no known suffix. */
export function uploadTarget(fileName: string, name?: string): UploadTarget {
  if (!fileName || fileName.length > 255) throw invalid('the uploaded file needs a name of 1 to 255 characters');
  if (/[/\\\u0000-\u001f\u007f]/.test(fileName) || fileName.startsWith('.')) {
    throw invalid(`"${fileName}" is not a plain file name: no folders, no leading dot, no control characters`);
  }
  const lower = fileName.toLowerCase();
  const hit = UPLOAD_SUFFIXES.find(([suffix]) => lower.endsWith(suffix) && lower.length > suffix.length);
  if (!hit) throw invalid(`"${fileName}" is not a .raw, .raw.gz, .raw.xz or .raw.zst file; put qcow2 and tar images in the import folder instead`);
  return { name: name ?? nameFromFile(lower.slice(0, -hit[0].length)), format: hit[1] };
}

/** "Debian 12_amd64" -> "debian-12-amd64": the cache's name alphabet. */
function nameFromFile(stem: string): string {
  const n = stem.replace(/[^a-z0-9.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').replace(/\.{2,}/g, '.').slice(0, 100);
  if (!n) throw invalid(`cannot make an image name from "${stem}": give one (name)`);
  return n;
}

/** Receives an upload into the cache; it is then cache:NAME. Nothing remains of it when it fails or is cut off. */
export async function receiveUpload(cache: ImageCache, req: UploadRequest): Promise<ReadyImage> {
  const target = uploadTarget(req.fileName, req.name);
  const max = req.maxBytes ?? cache.maxBytes;
  if (req.declaredBytes > max) {
    throw new DragonflyError('DF_ERR_TOO_LARGE', `${req.fileName} is ${bytesText(req.declaredBytes)}, more than the upload limit of ${bytesText(max)}`);
  }
  // The served copy is never much smaller than what arrives, so the declared size is a floor of what it needs.
  await checkFreeSpace(cache.dir, req.declaredBytes, `uploading ${req.fileName}`);
  const body = counted(req);
  const raw = target.format === 'raw' ? req.declaredBytes : undefined;
  return cache.importStream(target.name, target.format, () => rawDiskFromStream(body, target.format, raw));
}

/** The body, cut off with a clear error when it ends short of, or runs past, its declared length. */
function counted(req: UploadRequest): Readable {
  const { body, declaredBytes, fileName } = req;
  let received = 0;
  let last = 0;
  const every = req.progressEveryMs ?? 250;
  const cutOff = () => new DragonflyError('DF_ERR_INVALID', `the upload of ${fileName} was cut off after ${bytesText(received)} of ${bytesText(declaredBytes)}; nothing was kept`);
  const check = async function* (): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received > declaredBytes) throw invalid(`${fileName} sent more than the ${bytesText(declaredBytes)} it declared`);
        if (Date.now() - last >= every) {
          last = Date.now();
          req.onProgress?.(received);
        }
        yield chunk;
      }
    } catch (e) {
      throw e instanceof DragonflyError ? e : cutOff();
    }
    if (received < declaredBytes) throw cutOff();
    req.onProgress?.(received);
  };
  return Readable.from(check(), { objectMode: false });
}
