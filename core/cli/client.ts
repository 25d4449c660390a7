import { DragonflyError, type ErrorCode } from '../shared/errors.ts';

export interface ClientOptions {
  url: string;
  token?: string;
}

/** Talks to a control plane's API; a non-2xx answer becomes an error carrying the server's message. */
export class ApiClient {
  constructor(private readonly opts: ClientOptions) {}

  /** `as: 'text'` returns the body exactly as sent (a signed report must keep its bytes). */
  async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json', as: 'json' | 'text' = 'json'): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    if (body !== undefined) headers['content-type'] = contentType;
    let res: Response;
    try {
      res = await fetch(new URL(path, this.opts.url), {
        method,
        headers,
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
    } catch (e) {
      throw new DragonflyError('DF_ERR_UNAVAILABLE', `cannot reach the control plane at ${this.opts.url}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`);
    }
    const text = await res.text();
    const data = text ? safeJson(text) : undefined;
    if (!res.ok) {
      const err = data as { code?: ErrorCode; message?: string } | undefined;
      throw new DragonflyError(err?.code ?? 'DF_ERR_INTERNAL', err?.message ?? `HTTP ${res.status}: ${text.slice(0, 200)}`);
    }
    return (as === 'text' ? text : data) as T;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
