/**
 * Keeping credentials out of logs and API answers: a deep redactor for objects we return or
 * print, and the pino `redact` paths for what goes through the logger.
 */

export const REDACTED = '[REDACTED]';

/** Property names whose values are credentials, whatever the nesting. */
const SECRET_KEY = /^(password|passwd|pass|secret|token|api[-_]?token|api[-_]?key|authorization|x-auth-token|cookie|set-cookie|private[-_]?key|secure[-_]?on|credentials?|client[-_]?secret)$/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * pino `redact.paths` for credentials (pino supports one `*` per segment, so the common depths
 * are listed). Use with `pino({ redact: { paths: credentialRedactPaths, censor: REDACTED } })`.
 */
export const credentialRedactPaths: string[] = (() => {
  const keys = ['password', 'passwd', 'secret', 'token', 'apiToken', 'apiKey', 'authorization', 'cookie', 'privateKey', 'credentials', 'credential'];
  // pino path syntax: bracket notation for names with dashes.
  const headerKeys = ['.authorization', '["x-auth-token"]', '.cookie', '["set-cookie"]'];
  const paths: string[] = [];
  for (const k of keys) paths.push(k, `*.${k}`, `*.*.${k}`);
  for (const h of headerKeys) paths.push(`headers${h}`, `*.headers${h}`);
  return paths;
})();

/** A deep copy of `value` with every credential-named property replaced by "[REDACTED]". */
export function redactSecrets<T>(value: T): T {
  return redactValue(value, new WeakMap()) as T;
}

function redactValue(value: unknown, seen: WeakMap<object, unknown>): unknown {
  if (typeof value === 'string') return redactUrlPassword(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const v of value) out.push(redactValue(v, seen));
    return out;
  }
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretKey(k) && v !== undefined && v !== null && v !== '' ? REDACTED : redactValue(v, seen);
  }
  return out;
}

/** "https://admin:pw@10.0.0.5/" -> "https://admin:[REDACTED]@10.0.0.5/". */
function redactUrlPassword(s: string): string {
  return s.replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]+):[^\s/]*@/gi, `$1:${REDACTED}@`);
}
