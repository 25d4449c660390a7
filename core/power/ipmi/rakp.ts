/**
 * RMCP+ session setup payloads (IPMI v2.0 sections 13.17-13.23): Open Session
 * Request/Response and RAKP Messages 1-4. Pure codecs; the HMACs are computed in crypto.ts.
 * Session IDs are little-endian like every IPMI multi-byte field.
 */
import { ByteReader, ByteWriter } from '../../shared/bytes.ts';
import { decodeError, fixedBytes, readerError, writeU32le, type DecodeError } from './wire.ts';

/** RMCP+ status codes, table 13-15 (the ones a user would need explained). */
export const RakpStatus = {
  ok: 0x00,
  insufficientResources: 0x01,
  invalidSessionId: 0x02,
  invalidAuthAlgorithm: 0x04,
  invalidIntegrityAlgorithm: 0x05,
  invalidRole: 0x09,
  unauthorizedRole: 0x0a,
  invalidNameLength: 0x0c,
  unauthorizedName: 0x0d,
  invalidIntegrityCheckValue: 0x0f,
  invalidConfidentialityAlgorithm: 0x10,
  noCipherSuiteMatch: 0x11,
} as const;

export interface Algorithms {
  authentication: number; // 1 RAKP-HMAC-SHA1, 3 RAKP-HMAC-SHA256
  integrity: number; // 1 HMAC-SHA1-96, 4 HMAC-SHA256-128
  confidentiality: number; // 1 AES-CBC-128
}

export interface OpenSessionRequest {
  tag: number;
  maxPrivilege: number; // 0 = highest the cipher suite allows, 4 = Administrator
  consoleSessionId: number;
  algorithms: Algorithms;
}

export interface OpenSessionResponse {
  tag: number;
  status: number;
  maxPrivilege: number;
  consoleSessionId: number;
  bmcSessionId: number; // 0 when status != 0
  algorithms?: Algorithms; // absent when status != 0 (the BMC may truncate the response)
}

/** Algorithm payload record (table 13-17): type, reserved(2), length 8, algorithm, reserved(3). */
function writeAlgorithm(w: ByteWriter, type: number, algorithm: number): void {
  w.u8(type).u16(0).u8(8).u8(algorithm & 0x3f).zeros(3);
}

function readAlgorithm(r: ByteReader, type: number, field: string): number {
  const t = r.u8(`${field}.type`);
  r.bytes(2, `${field}.reserved`);
  r.u8(`${field}.length`);
  const algorithm = r.u8(`${field}.algorithm`) & 0x3f;
  r.bytes(3, `${field}.reserved`);
  if (!r.error && t !== type) r.fail(`${field}.type: ${t}, want ${type}`);
  return algorithm;
}

function readAlgorithms(r: ByteReader, prefix: string): Algorithms {
  return {
    authentication: readAlgorithm(r, 0, `${prefix}.authentication`),
    integrity: readAlgorithm(r, 1, `${prefix}.integrity`),
    confidentiality: readAlgorithm(r, 2, `${prefix}.confidentiality`),
  };
}

export function encodeOpenSessionRequest(m: OpenSessionRequest): Uint8Array {
  const w = new ByteWriter(32).u8(m.tag).u8(m.maxPrivilege).u16(0);
  writeU32le(w, m.consoleSessionId);
  writeAlgorithm(w, 0, m.algorithms.authentication);
  writeAlgorithm(w, 1, m.algorithms.integrity);
  writeAlgorithm(w, 2, m.algorithms.confidentiality);
  return w.finish();
}

export function decodeOpenSessionRequest(bytes: Uint8Array): OpenSessionRequest | DecodeError {
  const r = new ByteReader(bytes);
  const tag = r.u8('openSession.tag');
  const maxPrivilege = r.u8('openSession.maxPrivilege');
  r.bytes(2, 'openSession.reserved');
  const consoleSessionId = r.u32le('openSession.consoleSessionId');
  const algorithms = readAlgorithms(r, 'openSession');
  return readerError(r) ?? { tag, maxPrivilege, consoleSessionId, algorithms };
}

export function decodeOpenSessionResponse(bytes: Uint8Array): OpenSessionResponse | DecodeError {
  const r = new ByteReader(bytes);
  const tag = r.u8('openSessionResponse.tag');
  const status = r.u8('openSessionResponse.status');
  const err = readerError(r);
  if (err) return err;
  // A BMC refusing the session may stop right after the status byte (ipmi_sim does).
  if (status !== RakpStatus.ok && r.remaining < 6) return { tag, status, maxPrivilege: 0, consoleSessionId: 0, bmcSessionId: 0 };
  const maxPrivilege = r.u8('openSessionResponse.maxPrivilege');
  r.u8('openSessionResponse.reserved');
  const consoleSessionId = r.u32le('openSessionResponse.consoleSessionId');
  if (status !== RakpStatus.ok) return readerError(r) ?? { tag, status, maxPrivilege, consoleSessionId, bmcSessionId: 0 };
  const bmcSessionId = r.u32le('openSessionResponse.bmcSessionId');
  const algorithms = readAlgorithms(r, 'openSessionResponse');
  return readerError(r) ?? { tag, status, maxPrivilege, consoleSessionId, bmcSessionId, algorithms };
}

export interface Rakp1 {
  tag: number;
  bmcSessionId: number;
  consoleRandom: Uint8Array; // 16 bytes
  role: number; // bit 4: name-only lookup; bits 0-3: requested maximum privilege
  username: Uint8Array; // 0-16 bytes
}

export function encodeRakp1(m: Rakp1): Uint8Array {
  const w = new ByteWriter(44).u8(m.tag).zeros(3);
  writeU32le(w, m.bmcSessionId);
  return w.bytes(m.consoleRandom).u8(m.role).u16(0).u8(m.username.length).bytes(m.username).finish();
}

export function decodeRakp1(bytes: Uint8Array): Rakp1 | DecodeError {
  const r = new ByteReader(bytes);
  const tag = r.u8('rakp1.tag');
  r.bytes(3, 'rakp1.reserved');
  const bmcSessionId = r.u32le('rakp1.bmcSessionId');
  const consoleRandom = fixedBytes(r, 16, 'rakp1.consoleRandom');
  const role = r.u8('rakp1.role');
  r.bytes(2, 'rakp1.reserved');
  const length = r.u8('rakp1.usernameLength');
  if (length > 16) return decodeError('rakp1.usernameLength', `${length}, at most 16`);
  const username = fixedBytes(r, length, 'rakp1.username');
  return readerError(r) ?? { tag, bmcSessionId, consoleRandom, role, username };
}

export interface Rakp2 {
  tag: number;
  status: number;
  consoleSessionId: number;
  bmcRandom: Uint8Array; // 16 bytes; empty when status != 0
  bmcGuid: Uint8Array; // 16 bytes; empty when status != 0
  authCode: Uint8Array; // HMAC, 20 (SHA1) or 32 (SHA256) bytes
}

export function encodeRakp2(m: Rakp2): Uint8Array {
  const w = new ByteWriter(76).u8(m.tag).u8(m.status).u16(0);
  writeU32le(w, m.consoleSessionId);
  return w.bytes(m.bmcRandom).bytes(m.bmcGuid).bytes(m.authCode).finish();
}

export function decodeRakp2(bytes: Uint8Array): Rakp2 | DecodeError {
  const r = new ByteReader(bytes);
  const tag = r.u8('rakp2.tag');
  const status = r.u8('rakp2.status');
  r.bytes(2, 'rakp2.reserved');
  const consoleSessionId = r.u32le('rakp2.consoleSessionId');
  const err = readerError(r);
  if (err) return err;
  const empty = new Uint8Array(0);
  if (status !== RakpStatus.ok) return { tag, status, consoleSessionId, bmcRandom: empty, bmcGuid: empty, authCode: empty };
  const bmcRandom = fixedBytes(r, 16, 'rakp2.bmcRandom');
  const bmcGuid = fixedBytes(r, 16, 'rakp2.bmcGuid');
  const authCode = r.rest().slice();
  return readerError(r) ?? { tag, status, consoleSessionId, bmcRandom, bmcGuid, authCode };
}

/** RAKP 3 (console → BMC) and RAKP 4 (BMC → console) share one layout (tables 13-13, 13-14). */
export interface Rakp34 {
  tag: number;
  status: number;
  sessionId: number; // RAKP3: the BMC's session ID; RAKP4: the console's
  authCode: Uint8Array; // RAKP3: HMAC; RAKP4: integrity check value (12 or 16 bytes)
}

export function encodeRakp34(m: Rakp34): Uint8Array {
  const w = new ByteWriter(40).u8(m.tag).u8(m.status).u16(0);
  return writeU32le(w, m.sessionId).bytes(m.authCode).finish();
}

export function decodeRakp34(bytes: Uint8Array, which: 'rakp3' | 'rakp4'): Rakp34 | DecodeError {
  const r = new ByteReader(bytes);
  const tag = r.u8(`${which}.tag`);
  const status = r.u8(`${which}.status`);
  // A BMC reporting an error may stop after the status byte.
  if (status !== RakpStatus.ok && !r.error && r.remaining < 6) return { tag, status, sessionId: 0, authCode: new Uint8Array(0) };
  r.bytes(2, `${which}.reserved`);
  const sessionId = r.u32le(`${which}.sessionId`);
  const authCode = r.rest().slice();
  return readerError(r) ?? { tag, status, sessionId, authCode };
}
