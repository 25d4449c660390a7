/**
 * The shape every option family exports: a codec per option code that turns the option's
 * value bytes (after RFC 3396 concatenation) into a typed value and back. Decoders return
 * an OptionError naming what is wrong ("length 3, want 2"); codec.ts prefixes the option code.
 */
export class OptionError {
  constructor(readonly detail: string) {}
}

export interface OptionCodec<T> {
  /** Option code on the wire. */
  readonly code: number;
  /** Human name used in logs and errors. */
  readonly name: string;
  decode(data: Uint8Array): T | OptionError;
  encode(value: T): Uint8Array;
}

export function wantLength(data: Uint8Array, n: number): OptionError | undefined {
  return data.length === n ? undefined : new OptionError(`length ${data.length}, want ${n}`);
}

export function wantMultiple(data: Uint8Array, n: number, min = n): OptionError | undefined {
  if (data.length >= min && data.length % n === 0) return undefined;
  return new OptionError(`length ${data.length}, want a non-zero multiple of ${n}`);
}

/** Text options carry octets; latin1 maps each octet to one char, so decode/encode is exact. */
export function latin1(data: Uint8Array): string {
  let s = '';
  for (let i = 0; i < data.length; i++) s += String.fromCharCode(data[i]);
  return s;
}

export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Type-length-value sub-options (RFC 2132 section 8.4 style, used by 43, 82, 175). */
export interface SubOption {
  code: number;
  data: Uint8Array;
}

/**
 * Splits encapsulated sub-options. PAD (0) is skipped and END (255) stops; `ended` says whether
 * an END was present so the encoder can reproduce it.
 */
export function splitSubOptions(data: Uint8Array): { items: SubOption[]; ended: boolean } | OptionError {
  const items: SubOption[] = [];
  let i = 0;
  while (i < data.length) {
    const code = data[i];
    if (code === 255) return i === data.length - 1 ? { items, ended: true } : new OptionError(`sub-option END at ${i} followed by data`);
    if (code === 0) return new OptionError(`sub-option PAD at ${i}`);
    if (i + 1 >= data.length) return new OptionError(`sub-option ${code} has no length`);
    const len = data[i + 1];
    if (i + 2 + len > data.length) return new OptionError(`sub-option ${code} length ${len}, only ${data.length - i - 2} left`);
    items.push({ code, data: data.slice(i + 2, i + 2 + len) });
    i += 2 + len;
  }
  return { items, ended: false };
}

export function joinSubOptions(items: SubOption[], ended: boolean): Uint8Array {
  const size = items.reduce((n, s) => n + 2 + Math.min(s.data.length, 255), 0) + (ended ? 1 : 0);
  const out = new Uint8Array(size);
  let i = 0;
  for (const s of items) {
    const len = Math.min(s.data.length, 255);
    out[i++] = s.code;
    out[i++] = len;
    out.set(s.data.subarray(0, len), i);
    i += len;
  }
  if (ended) out[i] = 255;
  return out;
}
