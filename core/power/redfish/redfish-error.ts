/**
 * Reading a Redfish error body (DSP0266 section 9.6 "Error responses"): the BMC's own words
 * live in `error.@Message.ExtendedInfo[].Message`, with `error.message` as the summary.
 * Pure: bytes in, text out; never throws, whatever the BMC sent.
 */

/** The human messages a Redfish error body carries, most specific first; [] when none. */
export function redfishErrorMessages(body: unknown): string[] {
  const error = field(body, 'error');
  const extended = field(error, '@Message.ExtendedInfo');
  const out: string[] = [];
  if (Array.isArray(extended)) {
    for (const info of extended) {
      const m = field(info, 'Message');
      if (typeof m === 'string' && m.trim() !== '') out.push(m.trim());
    }
  }
  const summary = field(error, 'message');
  if (out.length === 0 && typeof summary === 'string' && summary.trim() !== '') out.push(summary.trim());
  return out;
}

/** One line for an operator: "HTTP 400 Bad Request: <BMC messages>". */
export function describeRedfishFailure(status: number, statusText: string, body: unknown): string {
  const messages = redfishErrorMessages(body);
  const head = `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
  return messages.length > 0 ? `${head}: ${messages.join('; ')}` : head;
}

/** Parses a response body as JSON; undefined for empty or non-JSON text. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Reads `obj[key]` when obj is a plain object, else undefined. */
export function field(obj: unknown, key: string): unknown {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  return Object.prototype.hasOwnProperty.call(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

/** `obj[key]['@odata.id']` when it is a string (a Redfish link), else undefined. */
export function linkOf(obj: unknown, key: string): string | undefined {
  const id = field(field(obj, key), '@odata.id');
  return typeof id === 'string' ? id : undefined;
}
