/**
 * The one door to the control plane's HTTP API. Errors come back as ApiError carrying the
 * server's code and its human sentence, so components can show the words as they are.
 */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details?: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** Field-level problems (e.g. "/spec/actions/0/disk: ...") when the server listed them. */
  get problems(): string[] {
    const d = this.details as { problems?: unknown } | undefined;
    return Array.isArray(d?.problems) ? d.problems.map(String) : [];
  }
}

interface ClientConfig {
  /** Bearer token (Electron session or pasted API token); absent = the df_session cookie does the work. */
  token?: string;
  /** Called once per 401 so the app can show the sign-in form again. */
  onUnauthorized?: () => void;
}

const config: ClientConfig = {};

export function configureApi(next: ClientConfig): void {
  Object.assign(config, next);
}

export function apiToken(): string | undefined {
  return config.token;
}

export interface RequestOptions {
  contentType?: string;
  /** Raw body (e.g. YAML text); otherwise `body` is sent as JSON. */
  raw?: string;
  signal?: AbortSignal;
}

export async function api<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (config.token) headers.authorization = `Bearer ${config.token}`;
  let payload: string | undefined;
  if (opts.raw !== undefined) {
    payload = opts.raw;
    headers['content-type'] = opts.contentType ?? 'text/plain';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', signal: opts.signal });
  } catch (e) {
    throw new ApiError(0, 'DF_ERR_UNAVAILABLE', `Cannot reach the control plane (${(e as Error).message}).`);
  }
  if (res.status === 401 && !path.endsWith('/auth/login')) config.onUnauthorized?.();
  return readResponse<T>(res);
}

/**
 * A file from the API as the signed-in operator (a link cannot carry a bearer token: Electron
 * and pasted API tokens), exactly as served, for saving; errors as for `api`.
 */
export async function apiFile(path: string): Promise<Blob> {
  const headers: Record<string, string> = {};
  if (config.token) headers.authorization = `Bearer ${config.token}`;
  let res: Response;
  try {
    res = await fetch(path, { headers, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'DF_ERR_UNAVAILABLE', `Cannot reach the control plane (${(e as Error).message}).`);
  }
  if (res.status === 401) config.onUnauthorized?.();
  if (!res.ok) {
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    throw errorFromBody(res.status, json, text);
  }
  return res.blob();
}

async function readResponse<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.ok) return json as T;
  throw errorFromBody(res.status, json, text);
}

export function errorFromBody(status: number, json: unknown, text: string): ApiError {
  const b = (json ?? {}) as { code?: unknown; message?: unknown; details?: unknown };
  const code = typeof b.code === 'string' ? b.code : `HTTP_${status}`;
  const message = typeof b.message === 'string' && b.message ? b.message : text.trim() || `The control plane answered HTTP ${status}.`;
  return new ApiError(status, code, message, b.details);
}

/** A sentence for any thrown value, for toasts and inline errors. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
