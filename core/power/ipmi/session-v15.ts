/**
 * IPMI v1.5 session wrapper (IPMI v2.0 section 13.6, table 13-8). Dragonfly only sends it
 * unauthenticated (auth type NONE) for Get Channel Authentication Capabilities, the one
 * command a v2.0 console sends before RMCP+ session setup; the decoder also accepts the
 * 16-byte auth code a v1.5 BMC may add.
 */
import { ByteReader, ByteWriter } from '../../shared/bytes.ts';
import { fixedBytes, decodeError, readerError, writeU32le, type DecodeError } from './wire.ts';

export const AuthTypeV15 = { none: 0x00, md2: 0x01, md5: 0x02, straight: 0x04, oem: 0x05 } as const;
/** Auth type value 0x06 marks an IPMI v2.0 / RMCP+ session header instead. */
export const AUTH_TYPE_RMCP_PLUS = 0x06;

export interface SessionV15 {
  authType: number;
  sequence: number; // u32, 0 outside a session
  sessionId: number; // u32, 0 outside a session
  authCode?: Uint8Array; // 16 bytes when authType != none
  payload: Uint8Array; // an IPMI LAN message, at most 255 bytes
}

export function encodeSessionV15(s: SessionV15): Uint8Array {
  const w = new ByteWriter(26 + s.payload.length).u8(s.authType);
  writeU32le(w, s.sequence);
  writeU32le(w, s.sessionId);
  if (s.authType !== AuthTypeV15.none) w.bytes(s.authCode ?? new Uint8Array(16));
  return w.u8(s.payload.length).bytes(s.payload).finish();
}

export function decodeSessionV15(bytes: Uint8Array): SessionV15 | DecodeError {
  const r = new ByteReader(bytes);
  const authType = r.u8('v15.authType');
  if (authType === AUTH_TYPE_RMCP_PLUS) return decodeError('v15.authType', 'is 0x06 (an RMCP+ packet)');
  const sequence = r.u32le('v15.sequence');
  const sessionId = r.u32le('v15.sessionId');
  const authCode = authType !== AuthTypeV15.none ? fixedBytes(r, 16, 'v15.authCode') : undefined;
  const length = r.u8('v15.payloadLength');
  const payload = fixedBytes(r, length, 'v15.payload');
  return readerError(r) ?? { authType, sequence, sessionId, authCode, payload };
}
