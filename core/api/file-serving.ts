import { constants as fsConstants, read } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join, relative, resolve, sep } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DragonflyError } from '../shared/errors.ts';

export type ByteRange = { start: number; end: number } | 'unsatisfiable' | undefined;

/** One byte range from a Range header (RFC 9110 §14.1.2); multiple ranges are served whole. */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/**
 * Resolves `rel` under `root`, refusing anything that would leave it. `rel` comes from the
 * router, which has already percent-decoded it: decoding again would turn "%25" into a bad
 * escape (a 500) and "%252e%252e" into "..".
 */
export function jailPath(root: string, rel: string): string {
  if (rel.includes('\0')) throw new DragonflyError('DF_ERR_FORBIDDEN', 'path not allowed');
  const full = resolve(root, '.' + sep + rel);
  const base = resolve(root);
  if (full !== base && !full.startsWith(base + sep)) throw new DragonflyError('DF_ERR_FORBIDDEN', 'path not allowed');
  return full;
}

/**
 * Opens ROOT/REL for reading without following a symbolic link anywhere below `root` (the root
 * itself is the operator's choice and may be one: dist/agent-image often is). Names starting
 * with "." are never served: that is where work in progress lives (images/.incoming/*.part).
 * Every component is checked with lstat and the file is opened with O_NOFOLLOW where the OS
 * has it, so a link planted in a served directory cannot hand out a file from elsewhere.
 */
export async function openUnder(root: string, rel: string, url: string): Promise<{ file: FileHandle; size: number; mtime: Date }> {
  const parts = relative(resolve(root), jailPath(root, rel)).split(sep).filter(Boolean);
  const notFound = () => new DragonflyError('DF_ERR_NOT_FOUND', `file ${url.split('?')[0]} not found`);
  if (parts.length === 0 || parts.some((p) => p.startsWith('.'))) throw notFound();
  let path = resolve(root);
  for (const [i, part] of parts.entries()) {
    path = join(path, part);
    const st = await lstat(path).catch(() => undefined);
    if (!st || (i === parts.length - 1 && !st.isFile() && !st.isSymbolicLink())) throw notFound(); // never open a FIFO or device
    if (st.isSymbolicLink()) throw new DragonflyError('DF_ERR_FORBIDDEN', `${url.split('?')[0]}: symbolic links are not served`);
  }
  const file = await openForReading(path, url, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
  const st = await file.stat();
  if (!st.isFile()) {
    await file.close();
    throw notFound();
  }
  return { file, size: st.size, mtime: st.mtime };
}

/** sendFile for ROOT/REL from a request: never leaves root, never follows a link (openUnder). */
export async function sendFileUnder(req: FastifyRequest, reply: FastifyReply, root: string, rel: string, contentType?: string): Promise<FastifyReply> {
  return sendOpened(req, reply, await openUnder(root, rel, req.url), contentType);
}

/**
 * Streams a file with Content-Length, Accept-Ranges and single-range 206 responses, never
 * buffering it whole (boot images and OS images are hundreds of MB).
 */
export async function sendFile(req: FastifyRequest, reply: FastifyReply, path: string, contentType = 'application/octet-stream'): Promise<FastifyReply> {
  const file = await openForReading(path, req.url);
  const st = await file.stat();
  if (!st.isFile()) {
    await file.close();
    throw new DragonflyError('DF_ERR_NOT_FOUND', `file ${req.url.split('?')[0]} not found`);
  }
  return sendOpened(req, reply, { file, size: st.size, mtime: st.mtime }, contentType);
}

/** Answers with an open file (and always closes it): headers, HEAD, ranges, then the bytes. */
async function sendOpened(req: FastifyRequest, reply: FastifyReply, opened: { file: FileHandle; size: number; mtime: Date }, contentType = 'application/octet-stream'): Promise<FastifyReply> {
  const { size, mtime } = opened;
  const etag = `"${size.toString(16)}-${Math.floor(mtime.getTime()).toString(16)}"`;
  reply.header('accept-ranges', 'bytes').header('etag', etag).header('last-modified', mtime.toUTCString()).type(contentType);
  const ifRange = req.headers['if-range'];
  const range = ifRange && ifRange !== etag ? undefined : parseRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    await opened.file.close();
    return reply.status(416).header('content-range', `bytes */${size}`).send();
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  const length = size === 0 ? 0 : end - start + 1;
  reply.header('content-length', String(length));
  if (range) reply.status(206).header('content-range', `bytes ${start}-${end}/${size}`);
  // Files skip Fastify's reply pipeline and go straight to the socket (streamRange below).
  // HEAD goes the same way: reply.send() without a body would say Content-Length: 0, and
  // UEFI HTTP boot sizes its download buffer from the HEAD answer (OVMF then hangs).
  const file = req.method === 'HEAD' || length === 0 ? undefined : opened.file;
  if (!file) await opened.file.close();
  try {
    reply.raw.writeHead(reply.statusCode, reply.getHeaders() as Record<string, string>);
  } catch (err) {
    await file?.close();
    throw err; // nothing was sent yet: Fastify still answers with the error
  }
  reply.hijack();
  if (!file) {
    reply.raw.end();
    return reply;
  }
  streamRange(reply.raw, file, start, end, (err) => req.log.warn({ err, path: req.url }, 'file read failed mid-download; connection closed'));
  return reply;
}

async function openForReading(path: string, url: string, flags: string | number = 'r'): Promise<FileHandle> {
  try {
    return await open(path, flags);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new DragonflyError('DF_ERR_FORBIDDEN', `${url.split('?')[0]}: symbolic links are not served`);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') throw new DragonflyError('DF_ERR_NOT_FOUND', `file ${url.split('?')[0]} not found`);
    throw new DragonflyError('DF_ERR_INTERNAL', `cannot open ${path}: ${code ?? String(err)}`);
  }
}

/** Bytes per read and per socket write; each download holds at most READ_BUFFERS of them. */
const READ_CHUNK = 512 * 1024;
const READ_BUFFERS = 2;

/**
 * Sends bytes start..end of `file` on `res`, then ends it; always closes `file`.
 * Reads into at most READ_BUFFERS buffers per download and reuses a buffer only after the
 * socket has taken its bytes (the write callback), which is also the backpressure: a slow
 * client holds at most READ_BUFFERS chunks. A fresh buffer per chunk (fs.createReadStream +
 * pipeline) made V8 mark its heap over and over for the external memory: 3.5 times the
 * server CPU per GB with 50 downloads at once (docs/BENCHMARKS.md, image serving).
 * A client that goes away stops the loop (it resumes with a Range request); a read error or
 * a file that shrank destroys the connection, since the promised Content-Length can no
 * longer be met, and is reported through onReadError.
 */
function streamRange(res: ServerResponse, file: FileHandle, start: number, end: number, onReadError: (err: Error) => void): void {
  const free: Buffer[] = [];
  let allocated = 0;
  let pos = start;
  let reading = false;
  let stopped = false;
  let closed = false;
  const release = () => {
    if (closed || reading) return; // a read in flight still uses the descriptor; its callback releases
    closed = true;
    file.close().catch(() => undefined);
  };
  const stop = (readError?: Error) => {
    if (stopped) return;
    stopped = true;
    release();
    if (readError) {
      onReadError(readError);
      res.destroy();
    }
  };
  const next = () => {
    if (stopped || reading || pos > end) return;
    let buf = free.pop();
    if (!buf) {
      if (allocated === READ_BUFFERS) return;
      allocated++;
      buf = Buffer.allocUnsafeSlow(Math.min(READ_CHUNK, end - start + 1));
    }
    const chunk = buf;
    reading = true;
    read(file.fd, chunk, 0, Math.min(chunk.length, end - pos + 1), pos, (err, n) => {
      reading = false;
      if (stopped) return release();
      if (err || n === 0) return stop(err ?? new Error(`file shrank below ${end + 1} bytes while being sent`));
      pos += n;
      res.write(n === chunk.length ? chunk : chunk.subarray(0, n), (writeErr) => {
        if (writeErr) return stop(); // the client went away
        free.push(chunk);
        next();
      });
      if (pos > end) {
        stop();
        res.end();
      } else next();
    });
  };
  res.once('close', () => stop());
  next();
}
