import type { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { formatBytes } from '../images/space.ts';
import { DragonflyError, invalid, type ErrorCode } from '../shared/errors.ts';

export interface ImageCommandIo {
  out: (s: string) => void;
  /** The progress line: overwritten in place on a terminal, one line per step otherwise. */
  progress: (line: string, final: boolean) => void;
}

interface Uploaded {
  name: string;
  url: string;
  rawBytes: number;
  rawSha256: string;
}

/** `dragonfly images upload FILE`: a .raw/.raw.gz/.raw.xz/.raw.zst file into the control plane's image cache. */
export function addImageCommands(program: Command, io: ImageCommandIo, target: (cmd: Command) => { url: string; token?: string }): void {
  const images = program.command('images').description('the OS image cache');
  images
    .command('upload <file>')
    .description('upload a .raw, .raw.gz, .raw.xz or .raw.zst image; it becomes cache:NAME (templates use image.url: cache:NAME)')
    .option('--name <name>', 'cache name (default: from the file name, e.g. Debian-12.raw.xz -> debian-12)')
    .action(async (file: string, opts: { name?: string }, cmd: Command) => {
      const img = await uploadFile(file, opts.name, target(cmd), io.progress);
      io.out(`${file} is ${img.url}: ${img.rawBytes} bytes raw, sha256 ${img.rawSha256}`);
    });
}

/** Streams the file as the request body, reporting bytes handed to the connection. */
async function uploadFile(file: string, name: string | undefined, to: { url: string; token?: string }, progress: ImageCommandIo['progress']): Promise<Uploaded> {
  const size = await stat(file).then(
    (s) => (s.isFile() ? s.size : Number.NaN),
    (e: Error) => {
      throw invalid(`cannot read ${file}: ${e.message}`);
    },
  );
  if (Number.isNaN(size)) throw invalid(`${file} is not a regular file`);
  const url = new URL('/api/v1/images/upload', to.url);
  url.searchParams.set('file', basename(file));
  if (name) url.searchParams.set('name', name);
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'content-length': String(size) };
  if (to.token) headers.authorization = `Bearer ${to.token}`;
  const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'POST', headers });
  const answer = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });
  const sent = pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), counter(size, basename(file), progress), req).catch(() => undefined); // a refusal ends the connection early: the answer says why
  let res: IncomingMessage;
  try {
    res = await answer;
  } catch (e) {
    throw new DragonflyError('DF_ERR_UNAVAILABLE', `cannot reach the control plane at ${to.url}: ${(e as Error).message}`);
  }
  const body = await readText(res);
  await sent;
  return parseAnswer(res.statusCode ?? 0, body);
}

function counter(total: number, file: string, progress: ImageCommandIo['progress']): Transform {
  let done = 0;
  let last = 0;
  const line = () => `uploading ${file}: ${formatBytes(done)} of ${formatBytes(total)} (${total ? Math.floor((100 * done) / total) : 100}%)`;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      if (Date.now() - last >= 500 || done === total) {
        last = Date.now();
        progress(line(), done === total);
      }
      cb(null, chunk);
    },
  });
}

async function readText(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const c of res) text += c;
  return text;
}

function parseAnswer(status: number, text: string): Uploaded {
  let data: { code?: ErrorCode; message?: string } & Partial<Uploaded> = {};
  try {
    data = JSON.parse(text);
  } catch {
    // not JSON: the status and the text say it
  }
  if (status !== 201) throw new DragonflyError(data.code ?? 'DF_ERR_INTERNAL', data.message ?? `HTTP ${status}: ${text.slice(0, 200)}`);
  return data as Uploaded;
}
