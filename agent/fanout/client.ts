import WebSocket from 'ws';
import type { FanoutManifest, PeerReport, SourcesReply, SourcesRequest, TrackerAnswer } from '../../core/contract/fanout.ts';
import type { FetchFn } from '../api.ts';
import { nodeHttpGet, type HttpGet, type HttpResponse } from '../actions/http-get.ts';
import type { TrackerClient } from './swarm.ts';

/** Tracker asks must not hold up the disk: a control plane that does not answer in this long is treated as absent. */
const TRACKER_TIMEOUT_MS = 10_000;

interface Pending {
  resolve: (a: TrackerAnswer) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The fan-out routes of the agent channel (core/api/fanout-plugin.ts), with the agent token: the
 * manifest and the control plane's chunks over HTTP, the tracker over one WebSocket, opened at the
 * first ask and again after it was lost. Close it when the image is written.
 */
export class FanoutClient implements TrackerClient {
  private readonly base: string;
  private channel?: Promise<WebSocket>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;

  constructor(
    serverUrl: string,
    private readonly token: string,
    private readonly fetchFn: FetchFn = (u, i) => fetch(u, i),
    private readonly httpGet: HttpGet = nodeHttpGet(),
  ) {
    this.base = `${serverUrl.replace(/\/+$/, '')}/api/agent/v1/fanout`;
  }

  /** The image's manifest, or why there is none (fan-out off, an older control plane, a compressed image it cannot cut). */
  async manifest(file: string): Promise<FanoutManifest | string> {
    try {
      const res = await this.fetchFn(`${this.base}/images/${encodeURIComponent(file)}/manifest`, { headers: this.headers(), signal: AbortSignal.timeout(5 * 60_000) });
      const text = await res.text();
      if (!res.ok) return `HTTP ${res.status}: ${text.slice(0, 200)}`;
      return checkManifest(JSON.parse(text), file);
    } catch (err) {
      return (err as Error).message;
    }
  }

  async sources(req: SourcesRequest): Promise<SourcesReply> {
    const v = (await this.ask({ sources: req })).sources;
    if (!Array.isArray(v?.plan) || typeof v.wanting !== 'number') throw new Error('bad answer from the tracker: no plan');
    for (const a of v.plan) {
      if (!Array.isArray(a.chunks) || !a.chunks.every(Number.isInteger)) throw new Error('bad answer from the tracker: chunks');
      if (a.peer && (typeof a.peer.id !== 'string' || !/^https?:\/\//.test(a.peer.url))) throw new Error('bad answer from the tracker: peer');
    }
    return v;
  }

  async report(r: PeerReport): Promise<void> {
    await this.ask({ report: r });
  }

  /** Raw chunks from..to of `file` from the control plane. */
  seed(file: string): (from: number, to: number) => Promise<HttpResponse> {
    return (from, to) => this.httpGet(`${this.base}/images/${encodeURIComponent(file)}/chunks/${from}-${to}`, this.headers());
  }

  /** Ends the tracker channel; asks still waiting fail, and no new one opens it again. */
  close(): void {
    this.closed = true;
    void this.channel?.then((ws) => ws.close(1000, 'image written'), () => undefined);
    this.channel = undefined;
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  private async ask(body: { sources: SourcesRequest } | { report: PeerReport }): Promise<TrackerAnswer> {
    const ws = await this.open();
    const id = this.nextId++;
    const a = await new Promise<TrackerAnswer>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, new DOMException(`the tracker did not answer in ${TRACKER_TIMEOUT_MS / 1000} s`, 'TimeoutError')), TRACKER_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ id, ...body }), (err) => err && this.settle(id, err));
    });
    if (a.error) throw new Error(`${a.error.code} from the tracker: ${a.error.message.slice(0, 200)}`);
    return a;
  }

  /** The channel, opened when there is none; a failed opening is not kept (the next ask tries again). */
  private open(): Promise<WebSocket> {
    if (this.closed) return Promise.reject(new Error('the tracker channel was closed'));
    if (this.channel) return this.channel;
    const url = `${this.base.replace(/^http/, 'ws')}/tracker`;
    const p = new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url, { headers: this.headers(), handshakeTimeout: TRACKER_TIMEOUT_MS });
      ws.once('open', () => resolve(ws));
      ws.on('message', (data, binary) => this.answered(String(data), binary));
      ws.on('error', (err) => {
        reject(err);
        this.lost(p, err);
      });
      ws.once('close', (code, reason) => this.lost(p, new Error(`the tracker channel closed (${code}${reason.length ? ` ${String(reason)}` : ''})`)));
    });
    this.channel = p;
    return p;
  }

  /** The channel `p` is gone: asks on it will get no answer. */
  private lost(p: Promise<WebSocket>, err: Error): void {
    if (this.channel === p) this.channel = undefined;
    for (const id of [...this.pending.keys()]) this.settle(id, err);
  }

  private answered(text: string, binary: boolean): void {
    let a: TrackerAnswer;
    try {
      if (binary) throw new Error('a binary frame');
      a = JSON.parse(text) as TrackerAnswer;
      if (typeof a?.id !== 'number') throw new Error('no id');
    } catch {
      // not a tracker answer: nothing on this channel can be matched to an ask any more
      return void this.channel?.then((ws) => ws.terminate(), () => undefined);
    }
    if (a.id === -1) for (const id of [...this.pending.keys()]) this.settle(id, new Error(`the tracker could not read an ask: ${a.error?.message ?? 'no reason'}`));
    else this.settle(a.id, a);
  }

  private settle(id: number, outcome: TrackerAnswer | Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }
}

/** The manifest checked by hand (the agent carries no schema library). */
export function checkManifest(v: unknown, file: string): FanoutManifest | string {
  const m = v as Partial<FanoutManifest> | null;
  if (typeof m !== 'object' || m === null) return 'manifest is not an object';
  if (m.image !== file) return `manifest is for ${String(m.image)}, not ${file}`;
  if (!Number.isInteger(m.chunkBytes) || m.chunkBytes! <= 0 || !Number.isInteger(m.rawBytes) || m.rawBytes! < 0) return 'manifest sizes are not positive integers';
  if (!Array.isArray(m.sha256) || !m.sha256.every((d) => typeof d === 'string' && /^[0-9a-f]{64}$/.test(d))) return 'manifest digests are not sha256 hex';
  if (m.sha256.length !== Math.ceil(m.rawBytes! / m.chunkBytes!)) return `manifest has ${m.sha256.length} digests for ${m.rawBytes} bytes`;
  return m as FanoutManifest;
}
