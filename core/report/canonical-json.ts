/**
 * Canonical JSON after RFC 8785 (JSON Canonicalization Scheme): no whitespace, object members
 * sorted by their names' UTF-16 code units, numbers and strings exactly as ECMAScript's
 * JSON.stringify writes them (which is what JCS specifies). Signing these bytes makes a
 * signature independent of how a file was pretty-printed or which library parsed it.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON has no form for the number ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (typeof value === 'object') return canonicalObject(value as Record<string, unknown>);
  throw new TypeError(`canonical JSON has no form for a ${typeof value}`);
}

function canonicalObject(o: Record<string, unknown>): string {
  // Default sort compares UTF-16 code units, as RFC 8785 section 3.2.3 asks; undefined members are absent, as in JSON.stringify.
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}
