/**
 * Payload commands for Serial-over-LAN (IPMI v2.0 section 24) and the session look-ups that
 * name who holds a console (section 22.20, 22.29): pure request builders and response
 * parsers. Response `data` starts after the completion code, as in commands.ts.
 */
import { ByteReader } from '../../shared/bytes.ts';
import { NetFn, type IpmiRequest } from './commands.ts';
import { PayloadType } from './session-v20.ts';
import { decodeError, readerError, type DecodeError } from './wire.ts';

/** Completion codes of Activate Payload (table 24-2). */
export const ActivateCode = {
  alreadyActive: 0x80, // active on another session: someone else holds the console
  disabled: 0x81,
  limitReached: 0x82,
  noEncryption: 0x83, // cannot activate with encryption
  needsEncryption: 0x84,
} as const;

/**
 * Activate Payload (section 24.1). Auxiliary byte 1: bit 7 encrypt, bit 6 authenticate the
 * SOL packets; bits 5:4 = 00 (serial alerts fail while SOL is active); bit 1 = 0 so the BMC
 * asserts CTS/DCD at once instead of waiting for a handshake.
 */
export const activateSol = (encrypt: boolean, authenticate: boolean, instance = 1): IpmiRequest => ({
  netFn: NetFn.app, command: 0x48,
  data: Uint8Array.of(PayloadType.sol, instance, (encrypt ? 0x80 : 0) | (authenticate ? 0x40 : 0), 0, 0, 0),
  label: 'Activate Payload (SOL)',
});

export interface SolActivation {
  inboundSize: number; // largest payload the BMC accepts from us, bytes
  outboundSize: number; // largest payload the BMC sends us, bytes
  port: number; // UDP port for the payload (usually the session's own port)
}

export function parseSolActivation(data: Uint8Array): SolActivation | DecodeError {
  const r = new ByteReader(data);
  r.bytes(4, 'activate.auxData');
  const inboundSize = r.u16le('activate.inboundSize');
  const outboundSize = r.u16le('activate.outboundSize');
  const port = r.u16le('activate.port');
  return readerError(r) ?? { inboundSize, outboundSize, port };
}

/** Deactivate Payload (section 24.3): ends the console on whichever session holds it. */
export const deactivateSol = (instance = 1): IpmiRequest => ({
  netFn: NetFn.app, command: 0x49, data: Uint8Array.of(PayloadType.sol, instance, 0, 0, 0, 0), label: 'Deactivate Payload (SOL)',
});

/** Get Payload Activation Status (section 24.4). */
export const getSolActivationStatus = (): IpmiRequest => ({
  netFn: NetFn.app, command: 0x4a, data: Uint8Array.of(PayloadType.sol), label: 'Get Payload Activation Status (SOL)',
});

/** Instance numbers (1-based) currently active, from the 16-bit mask after the capacity byte. */
export function parseActiveInstances(data: Uint8Array): number[] | DecodeError {
  const r = new ByteReader(data);
  r.u8('activationStatus.capacity');
  const mask = r.u16le('activationStatus.instances');
  const err = readerError(r);
  if (err) return err;
  return Array.from({ length: 16 }, (_, i) => i + 1).filter((n) => (mask & (1 << (n - 1))) !== 0);
}

/** Get Payload Instance Info (section 24.5): which session activated the instance. */
export const getSolInstanceInfo = (instance = 1): IpmiRequest => ({
  netFn: NetFn.app, command: 0x4b, data: Uint8Array.of(PayloadType.sol, instance), label: 'Get Payload Instance Info (SOL)',
});

/** The BMC session ID that holds the instance; 0 when the instance is not active. */
export function parseInstanceSession(data: Uint8Array): number | DecodeError {
  const r = new ByteReader(data);
  const id = r.u32le('instanceInfo.sessionId');
  return readerError(r) ?? id;
}

/** Get Session Info (section 22.20) by session ID: index 0xFF then the ID, little-endian. */
export const getSessionInfo = (sessionId: number): IpmiRequest => ({
  netFn: NetFn.app, command: 0x3d,
  data: Uint8Array.of(0xff, sessionId & 0xff, (sessionId >>> 8) & 0xff, (sessionId >>> 16) & 0xff, sessionId >>> 24),
  label: 'Get Session Info',
});

export interface SessionInfo {
  userId: number;
  privilege: number;
  /** Remote console address for a LAN session (bytes 7-18 of the answer), when the BMC gives it. */
  address?: string;
  port?: number;
}

export function parseSessionInfo(data: Uint8Array): SessionInfo | DecodeError {
  const r = new ByteReader(data);
  r.bytes(3, 'sessionInfo.handles');
  const userId = r.u8('sessionInfo.userId') & 0x3f;
  const privilege = r.u8('sessionInfo.privilege') & 0x0f;
  const err = readerError(r);
  if (err) return err;
  if (data.length < 5) return decodeError('sessionInfo.length', `${data.length} bytes, want at least 5`);
  r.u8('sessionInfo.channel');
  const ip = r.bytes(4, 'sessionInfo.ip');
  r.bytes(6, 'sessionInfo.mac');
  const port = r.u16('sessionInfo.port'); // network byte order, like the address
  if (r.error) return { userId, privilege };
  return { userId, privilege, address: Array.from(ip).join('.'), port };
}

/** Get User Name (section 22.29). */
export const getUserName = (userId: number): IpmiRequest => ({
  netFn: NetFn.app, command: 0x46, data: Uint8Array.of(userId & 0x3f), label: 'Get User Name',
});

export function parseUserName(data: Uint8Array): string | DecodeError {
  if (data.length < 1) return decodeError('userName.length', '0 bytes, want up to 16');
  const end = data.indexOf(0);
  return new TextDecoder().decode(data.subarray(0, end < 0 ? Math.min(16, data.length) : end));
}
