/**
 * The Redfish HTTP session: one BMC, JSON in and out, session or basic authentication
 * (DSP0266 section 13.3), bounded time per request, BMC messages in every error.
 */
import http from 'node:http';
import https from 'node:https';
import { PowerError, powerTimeout, powerUnauthorized } from '../driver.ts';
import { CertificatePin, PinningAgent } from './tls-pin.ts';
import { describeRedfishFailure, field, parseJsonBody } from './redfish-error.ts';

export interface RedfishEndpoint {
  /** "https://10.0.0.5" or "https://10.0.0.5:8443"; http:// only for labs and tests. */
  baseUrl: string;
  username: string;
  password: string;
  /** 'session' (default): POST SessionService/Sessions, then X-Auth-Token; 'basic': Authorization on every request. */
  auth?: 'session' | 'basic';
  /** Pinned SHA-256 certificate fingerprint; empty or undefined = trust on first use. */
  fingerprint?: string;
  /** Called once with the fingerprint pinned on first use, so the caller can store it. */
  onFingerprint?: (fingerprint: string) => void;
  /** Per-request limit in milliseconds; default 15000; 0 means no limit (not advised). */
  timeoutMs?: number;
}

export interface RedfishResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

interface RequestOptions {
  headers?: Record<string, string>;
  /** Statuses returned to the caller instead of thrown (e.g. 412 for the ETag retry). */
  accept?: number[];
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

export class RedfishHttp {
  readonly pin: CertificatePin;
  private readonly endpoint: RedfishEndpoint;
  private readonly base: URL;
  private readonly agent: http.Agent | https.Agent;
  private session: { token: string; location?: string } | undefined;
  private closed = false;

  constructor(endpoint: RedfishEndpoint) {
    this.endpoint = endpoint;
    this.base = new URL(endpoint.baseUrl);
    this.pin = new CertificatePin(endpoint.fingerprint, endpoint.onFingerprint);
    this.agent = this.base.protocol === 'https:' ? new PinningAgent(this.pin) : new http.Agent({ keepAlive: true, maxSockets: 4 });
  }

  /** GET/POST/PATCH/DELETE with authentication; throws PowerError on failure statuses. */
  async call(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<RedfishResponse> {
    const res = await this.authed(method, path, body, opts.headers);
    if (res.status < 400 || opts.accept?.includes(res.status)) return res;
    throw this.failure(method, path, res);
  }

  /** The service root needs no authentication (DSP0266 section 13.3.1). */
  async serviceRoot(): Promise<unknown> {
    const res = await this.raw('GET', '/redfish/v1/', undefined, {});
    if (res.status >= 400) throw this.failure('GET', '/redfish/v1/', res);
    return res.body;
  }

  /** Deletes the session (if any) and frees sockets. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const session = this.session;
    this.session = undefined;
    try {
      if (session?.location) await this.raw('DELETE', session.location, undefined, { 'X-Auth-Token': session.token });
    } catch {
      // The session times out on the BMC anyway; closing must not fail because the BMC went away.
    } finally {
      this.agent.destroy();
    }
  }

  private async authed(method: string, path: string, body: unknown, headers: Record<string, string> = {}) {
    if (this.closed) throw new PowerError('redfish', 'DF_ERR_UNAVAILABLE', 'Redfish connection already closed');
    if ((this.endpoint.auth ?? 'session') === 'basic') {
      const basic = Buffer.from(`${this.endpoint.username}:${this.endpoint.password}`).toString('base64');
      return this.raw(method, path, body, { ...headers, Authorization: `Basic ${basic}` });
    }
    const hadSession = this.session !== undefined;
    const res = await this.raw(method, path, body, { ...headers, 'X-Auth-Token': (await this.login()).token });
    if (res.status !== 401 || !hadSession) return res;
    // The BMC expired our session (SessionTimeout): log in again once.
    this.session = undefined;
    return this.raw(method, path, body, { ...headers, 'X-Auth-Token': (await this.login()).token });
  }

  private async login(): Promise<{ token: string; location?: string }> {
    if (this.session) return this.session;
    const path = await this.sessionsPath();
    const res = await this.raw('POST', path, { UserName: this.endpoint.username, Password: this.endpoint.password }, {});
    if (res.status >= 400) throw this.failure('POST', path, res);
    const token = res.headers['x-auth-token'];
    if (typeof token !== 'string' || token === '') {
      throw new PowerError('redfish', 'DF_ERR_INTERNAL', `Redfish login at ${path} returned no X-Auth-Token header`);
    }
    const location = typeof res.headers.location === 'string' ? new URL(res.headers.location, this.base).pathname : undefined;
    this.session = { token, location };
    return this.session;
  }

  private async sessionsPath(): Promise<string> {
    const root = await this.serviceRoot();
    const link = field(field(field(root, 'Links'), 'Sessions'), '@odata.id');
    return typeof link === 'string' ? link : '/redfish/v1/SessionService/Sessions';
  }

  private failure(method: string, path: string, res: RedfishResponse & { statusText?: string }): PowerError {
    const text = describeRedfishFailure(res.status, res.statusText ?? '', res.body);
    const message = `Redfish ${method} ${path} failed: ${text}`;
    if (res.status === 401) return powerUnauthorized('redfish', message);
    // driver.ts: the endpoint refused the operation -> DF_ERR_UNAVAILABLE, whatever the status.
    return new PowerError('redfish', 'DF_ERR_UNAVAILABLE', message, { status: res.status, body: res.body });
  }

  private raw(method: string, path: string, body: unknown, headers: Record<string, string>) {
    const url = new URL(path, this.base);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const lib = url.protocol === 'https:' ? https : http;
    const timeoutMs = this.endpoint.timeoutMs ?? 15_000;
    return new Promise<RedfishResponse & { statusText: string }>((resolve, reject) => {
      const req = lib.request(
        url,
        {
          method,
          agent: this.agent as http.Agent,
          headers: {
            Accept: 'application/json',
            'OData-Version': '4.0',
            ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}),
            ...headers,
          },
        },
        (res) => collectBody(res, resolve, reject),
      );
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () =>
          req.destroy(powerTimeout('redfish', `Redfish ${method} ${url.pathname} got no answer within ${timeoutMs} ms`)),
        );
      }
      req.on('error', (err) => reject(asPowerError(err, method, url)));
      req.end(payload);
    });
  }
}

function collectBody(
  res: http.IncomingMessage,
  resolve: (r: RedfishResponse & { statusText: string }) => void,
  reject: (e: Error) => void,
) {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_BODY_BYTES) {
      res.destroy();
      reject(new PowerError('redfish', 'DF_ERR_INTERNAL', `Redfish response larger than ${MAX_BODY_BYTES} bytes`));
      return;
    }
    chunks.push(c);
  });
  res.on('error', reject);
  res.on('end', () =>
    resolve({
      status: res.statusCode ?? 0,
      statusText: res.statusMessage ?? '',
      headers: res.headers,
      body: parseJsonBody(Buffer.concat(chunks).toString('utf8')),
    }),
  );
}

function asPowerError(err: Error, method: string, url: URL): PowerError {
  if (err instanceof PowerError) return err;
  if (err.message.startsWith('BMC certificate changed')) {
    return new PowerError('redfish', 'DF_ERR_UNAVAILABLE', err.message);
  }
  return new PowerError('redfish', 'DF_ERR_UNAVAILABLE', `Redfish ${method} ${url.host}${url.pathname}: ${err.message}`);
}
