/**
 * A thin Proxmox VE API client of our own (the npm proxmox-api is GPL-3.0): API token
 * authentication (`Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET`), form-encoded
 * parameters, `{data: ...}` answers, and PVE's error text (HTTP reason + `errors` per field).
 */
import http from 'node:http';
import https from 'node:https';
import { PowerError, powerTimeout, powerUnauthorized } from '../driver.ts';
import { CertificatePin, PinningAgent } from '../redfish/tls-pin.ts';

export interface ProxmoxEndpoint {
  /** "https://pve1.example:8006"; http:// only for tests. */
  baseUrl: string;
  /** "USER@REALM!TOKENID", e.g. "root@pam!dragonfly". */
  tokenId: string;
  /** The token's secret (a UUID). */
  secret: string;
  /** Pinned SHA-256 certificate fingerprint; empty = trust on first use (PVE's certificate is self-signed by default). */
  fingerprint?: string;
  onFingerprint?: (fingerprint: string) => void;
  /** Per-request limit in ms; default 15000; 0 = none. */
  timeoutMs?: number;
}

export type Params = Record<string, string | number | boolean | undefined>;

const MAX_BODY_BYTES = 16 * 1024 * 1024;

export class ProxmoxClient {
  readonly pin: CertificatePin;
  private readonly endpoint: ProxmoxEndpoint;
  private readonly base: URL;
  private readonly agent: http.Agent | https.Agent;

  constructor(endpoint: ProxmoxEndpoint) {
    if (!/^[^@!\s]+@[^@!\s]+![A-Za-z][A-Za-z0-9._-]*$/.test(endpoint.tokenId)) {
      throw new PowerError('proxmox', 'DF_ERR_INVALID', `Proxmox token id "${endpoint.tokenId}" is not USER@REALM!TOKENID`);
    }
    this.endpoint = endpoint;
    this.base = new URL(endpoint.baseUrl);
    this.pin = new CertificatePin(endpoint.fingerprint, endpoint.onFingerprint);
    this.agent = this.base.protocol === 'https:' ? new PinningAgent(this.pin) : new http.Agent({ keepAlive: true, maxSockets: 4 });
  }

  get<T = unknown>(path: string, params: Params = {}): Promise<T> {
    return this.request<T>('GET', path, params);
  }
  post<T = unknown>(path: string, params: Params = {}): Promise<T> {
    return this.request<T>('POST', path, params);
  }
  put<T = unknown>(path: string, params: Params = {}): Promise<T> {
    return this.request<T>('PUT', path, params);
  }

  close(): void {
    this.agent.destroy();
  }

  private async request<T>(method: string, path: string, params: Params): Promise<T> {
    const url = new URL(`/api2/json${path}`, this.base);
    const form = encodeParams(params);
    if (method === 'GET' && form) url.search = form;
    const body = method !== 'GET' && form ? Buffer.from(form) : undefined;
    const res = await this.send(method, url, body);
    const parsed = parseJson(res.text);
    if (res.status === 401) throw powerUnauthorized('proxmox', `Proxmox ${method} ${path}: HTTP 401 ${res.statusText} (check the API token and its privileges)`);
    if (res.status >= 400) {
      throw new PowerError('proxmox', 'DF_ERR_UNAVAILABLE', `Proxmox ${method} ${path} failed: ${describeFailure(res.status, res.statusText, parsed)}`, {
        status: res.status,
      });
    }
    if (parsed === null || typeof parsed !== 'object' || !('data' in parsed)) {
      throw new PowerError('proxmox', 'DF_ERR_INTERNAL', `Proxmox ${method} ${path}: answer is not {data: ...}`);
    }
    return (parsed as { data: T }).data;
  }

  private send(method: string, url: URL, body: Buffer | undefined) {
    const lib = url.protocol === 'https:' ? https : http;
    const timeoutMs = this.endpoint.timeoutMs ?? 15_000;
    return new Promise<{ status: number; statusText: string; text: string }>((resolve, reject) => {
      const req = lib.request(
        url,
        {
          method,
          agent: this.agent as http.Agent,
          headers: {
            Accept: 'application/json',
            Authorization: `PVEAPIToken=${this.endpoint.tokenId}=${this.endpoint.secret}`,
            ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(body.length) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_BODY_BYTES) res.destroy(new Error(`answer larger than ${MAX_BODY_BYTES} bytes`));
            else chunks.push(c);
          });
          res.on('error', (e) => reject(new PowerError('proxmox', 'DF_ERR_UNAVAILABLE', `Proxmox ${method} ${url.pathname}: ${e.message}`)));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', text: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () => req.destroy(powerTimeout('proxmox', `Proxmox ${method} ${url.pathname} got no answer within ${timeoutMs} ms`)));
      }
      req.on('error', (e) => reject(e instanceof PowerError ? e : new PowerError('proxmox', 'DF_ERR_UNAVAILABLE', `Proxmox ${method} ${url.host}${url.pathname}: ${e.message}`)));
      req.end(body);
    });
  }
}

/** Booleans go as 1/0, as PVE's own clients send them; undefined values are left out. */
export function encodeParams(params: Params): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    out.append(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  return out.toString();
}

/** "HTTP 400 Parameter verification failed.: boot: invalid format" */
function describeFailure(status: number, statusText: string, body: unknown): string {
  const errors = body && typeof body === 'object' ? (body as { errors?: unknown }).errors : undefined;
  const fields =
    errors && typeof errors === 'object' ? Object.entries(errors as Record<string, unknown>).map(([k, v]) => `${k}: ${String(v).trim()}`) : [];
  return `HTTP ${status} ${statusText}`.trim() + (fields.length ? `: ${fields.join('; ')}` : '');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
