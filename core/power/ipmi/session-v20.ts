/**
 * IPMI v2.0 / RMCP+ session header and trailer (IPMI v2.0 section 13.6, table 13-8;
 * integrity trailer section 13.28.4). The codec is pure: the integrity code is computed by a
 * function passed in (see crypto.ts), and confidentiality is applied to `payload` beforehand.
 */
import { ByteReader, ByteWriter } from '../../shared/bytes.ts';
import { AUTH_TYPE_RMCP_PLUS } from './session-v15.ts';
import { decodeError, fixedBytes, readerError, writeU16le, writeU32le, type DecodeError } from './wire.ts';

/** Payload types, table 13-16. */
export const PayloadType = {
  ipmi: 0x00,
  sol: 0x01,
  oem: 0x02,
  openSessionRequest: 0x10,
  openSessionResponse: 0x11,
  rakp1: 0x12,
  rakp2: 0x13,
  rakp3: 0x14,
  rakp4: 0x15,
} as const;

/** Next-header byte of the integrity trailer: always 0x07 (reserved RMCP class for IPMI). */
export const NEXT_HEADER = 0x07;

export interface SessionV20 {
  payloadType: number; // bits 0-5
  encrypted: boolean; // bit 7
  authenticated: boolean; // bit 6
  oemIana?: number; // only for payload type 0x02
  oemPayloadId?: number;
  sessionId: number; // u32: 0 during session setup, then the receiver's session ID
  sequence: number; // u32: 0 during session setup, then 1, 2, ...
  payload: Uint8Array; // already encrypted when `encrypted`
}

export interface DecodedSessionV20 extends SessionV20 {
  /** Present when `authenticated`: the trailer and the bytes its integrity code covers. */
  integrity?: { padLength: number; authCode: Uint8Array; covered: Uint8Array };
}

function header(s: SessionV20): ByteWriter {
  const w = new ByteWriter(32 + s.payload.length)
    .u8(AUTH_TYPE_RMCP_PLUS)
    .u8((s.encrypted ? 0x80 : 0) | (s.authenticated ? 0x40 : 0) | (s.payloadType & 0x3f));
  if ((s.payloadType & 0x3f) === PayloadType.oem) {
    writeU32le(w, s.oemIana ?? 0);
    writeU16le(w, s.oemPayloadId ?? 0);
  }
  writeU32le(w, s.sessionId);
  writeU32le(w, s.sequence);
  return writeU16le(w, s.payload.length).bytes(s.payload);
}

/** Integrity pad: 0xFF bytes so that auth type .. next header is a multiple of 4 bytes. */
export const integrityPadLength = (unpaddedLength: number): number => (4 - ((unpaddedLength + 2) % 4)) % 4;

/**
 * Encodes the session; when `s.authenticated`, `authCode(covered)` returns the integrity
 * code over auth type .. next header (section 13.28.4).
 */
export function encodeSessionV20(s: SessionV20, authCode?: (covered: Uint8Array) => Uint8Array): Uint8Array {
  const w = header(s);
  if (!s.authenticated) return w.finish();
  const pad = integrityPadLength(w.length);
  for (let i = 0; i < pad; i++) w.u8(0xff);
  w.u8(pad).u8(NEXT_HEADER);
  const covered = w.finish();
  const code = authCode ? authCode(covered) : new Uint8Array(0);
  return new ByteWriter(covered.length + code.length).bytes(covered).bytes(code).finish();
}

/** `authCodeLength`: bytes of the integrity code (12 for HMAC-SHA1-96, 16 for HMAC-SHA256-128). */
export function decodeSessionV20(bytes: Uint8Array, authCodeLength = 0): DecodedSessionV20 | DecodeError {
  const r = new ByteReader(bytes);
  const authType = r.u8('v20.authType');
  if (authType !== AUTH_TYPE_RMCP_PLUS && !r.error) return decodeError('v20.authType', `0x${authType.toString(16)}, want 0x06`);
  const typeByte = r.u8('v20.payloadType');
  const payloadType = typeByte & 0x3f;
  const isOem = payloadType === PayloadType.oem;
  const oemIana = isOem ? r.u32le('v20.oemIana') : undefined;
  const oemPayloadId = isOem ? r.u16le('v20.oemPayloadId') : undefined;
  const sessionId = r.u32le('v20.sessionId');
  const sequence = r.u32le('v20.sequence');
  const length = r.u16le('v20.payloadLength');
  const payload = fixedBytes(r, length, 'v20.payload');
  const err = readerError(r);
  if (err) return err;
  const s: DecodedSessionV20 = {
    payloadType, encrypted: (typeByte & 0x80) !== 0, authenticated: (typeByte & 0x40) !== 0,
    oemIana, oemPayloadId, sessionId, sequence, payload,
  };
  if (!s.authenticated) return s;
  const integrity = decodeTrailer(bytes, r.offset, authCodeLength);
  return 'kind' in integrity ? integrity : { ...s, integrity };
}

function decodeTrailer(bytes: Uint8Array, at: number, authCodeLength: number) {
  if (authCodeLength <= 0) return decodeError('v20.authCode', 'authenticated packet but no integrity algorithm negotiated');
  const end = bytes.length - authCodeLength;
  if (end - 2 < at) return decodeError('v20.trailer', `${bytes.length - at} bytes, too short for a ${authCodeLength}-byte auth code`);
  const padLength = bytes[end - 2];
  if (bytes[end - 1] !== NEXT_HEADER) return decodeError('v20.nextHeader', `0x${bytes[end - 1].toString(16)}, want 0x07`);
  if (end - 2 - at !== padLength) return decodeError('v20.padLength', `${padLength}, but ${end - 2 - at} pad bytes precede it`);
  return { padLength, authCode: bytes.slice(end), covered: bytes.slice(0, end) };
}
