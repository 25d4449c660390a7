/**
 * Small helpers shared by the IPMI codecs: the DecodeError value every decoder returns
 * instead of throwing, and little-endian writes (IPMI's multi-byte session fields are least
 * significant byte first, IPMI v2.0 section 13.6; reading them is ByteReader.u16le/u32le).
 */
import type { ByteReader, ByteWriter } from '../../shared/bytes.ts';

export interface DecodeError {
  readonly kind: 'decode-error';
  /** The field that could not be decoded, e.g. "rakp2.keyExchangeAuthCode". */
  readonly field: string;
  readonly message: string;
}

export function decodeError(field: string, message: string): DecodeError {
  return { kind: 'decode-error', field, message: `${field}: ${message}` };
}

export function isDecodeError(v: unknown): v is DecodeError {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'decode-error';
}

/** Turns the reader's sticky first error (which starts with the field name) into a DecodeError. */
export function readerError(r: ByteReader): DecodeError | undefined {
  if (!r.error) return undefined;
  const colon = r.error.indexOf(':');
  const field = colon > 0 ? r.error.slice(0, colon) : 'packet';
  return { kind: 'decode-error', field, message: r.error };
}


export function writeU16le(w: ByteWriter, v: number): ByteWriter {
  return w.u8(v & 0xff).u8((v >>> 8) & 0xff);
}

export function writeU32le(w: ByteWriter, v: number): ByteWriter {
  return w.u8(v & 0xff).u8((v >>> 8) & 0xff).u8((v >>> 16) & 0xff).u8((v >>> 24) & 0xff);
}

/** Reads exactly `n` bytes or records an error naming `field` (ByteReader.bytes returns [] on error). */
export function fixedBytes(r: ByteReader, n: number, field: string): Uint8Array {
  const b = r.bytes(n, field);
  return b.length === n ? b.slice() : new Uint8Array(n);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
