import type { FanoutManifest, PeerReport, SourcesReply, SourcesRequest } from '../../core/contract/fanout.ts';
import type { FetchFn } from '../api.ts';
import { nodeHttpGet, type HttpGet, type HttpResponse } from '../actions/http-get.ts';
import type { TrackerClient } from './swarm.ts';

/** Tracker calls must not hold up the disk: a control plane that does not answer in this long is treated as absent. */
const TRACKER_TIMEOUT_MS = 10_000;

/** The fan-out routes of the agent channel (core/api/fanout-plugin.ts), with the agent token. */
export class FanoutClient implements TrackerClient {
  private readonly base: string;

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
    const v = (await this.post('/sources', req)) as SourcesReply;
    if (!Array.isArray(v?.plan) || typeof v.wanting !== 'number') throw new Error('bad reply from the tracker: no plan');
    for (const a of v.plan) {
      if (!Array.isArray(a.chunks) || !a.chunks.every(Number.isInteger)) throw new Error('bad reply from the tracker: chunks');
      if (a.peer && (typeof a.peer.id !== 'string' || !/^https?:\/\//.test(a.peer.url))) throw new Error('bad reply from the tracker: peer');
    }
    return v;
  }

  async report(r: PeerReport): Promise<void> {
    await this.post('/report', r);
  }

  /** Raw chunks from..to of `file` from the control plane. */
  seed(file: string): (from: number, to: number) => Promise<HttpResponse> {
    return (from, to) => this.httpGet(`${this.base}/images/${encodeURIComponent(file)}/chunks/${from}-${to}`, this.headers());
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  private async post(path: string, body: unknown): Promise<unknown> {
    const res = await this.fetchFn(this.base + path, {
      method: 'POST',
      headers: { ...this.headers(), 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TRACKER_TIMEOUT_MS),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`HTTP ${res.status} from the tracker: ${text.slice(0, 200)}`);
    return JSON.parse(text);
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
