/**
 * Whole RMCP datagrams for each phase of an IPMI v2.0 session, built from the codecs:
 * the unauthenticated v1.5 wrapper (before the session), unauthenticated RMCP+ setup
 * payloads (Open Session, RAKP), and sealed IPMI messages (AES-CBC-128 then integrity,
 * sections 13.28-13.29). Pure: the IV is passed in.
 */
import { additionalKey, decryptPayload, encryptPayload, integrityCode, type CipherSuite } from './crypto.ts';
import { decodeLanMessage, encodeLanMessage, type LanMessage } from './lan-message.ts';
import { decodeRmcp, RmcpClass, rmcpIpmi } from './rmcp.ts';
import { AuthTypeV15, AUTH_TYPE_RMCP_PLUS, decodeSessionV15, encodeSessionV15 } from './session-v15.ts';
import { decodeSessionV20, encodeSessionV20, PayloadType, type DecodedSessionV20 } from './session-v20.ts';
import { decodeError, equalBytes, isDecodeError, type DecodeError } from './wire.ts';

export interface SessionKeys {
  suite: CipherSuite;
  k1: Uint8Array; // integrity key
  k2: Uint8Array; // confidentiality key (first 16 bytes used)
}

export const sessionKeys = (suite: CipherSuite, sik: Uint8Array): SessionKeys => ({
  suite, k1: additionalKey(suite, sik, 1), k2: additionalKey(suite, sik, 2),
});

export function v15Packet(message: LanMessage): Uint8Array {
  return rmcpIpmi(encodeSessionV15({ authType: AuthTypeV15.none, sequence: 0, sessionId: 0, payload: encodeLanMessage(message) }));
}

function ipmiBody(packet: Uint8Array): Uint8Array | DecodeError {
  const rmcp = decodeRmcp(packet);
  if (isDecodeError(rmcp)) return rmcp;
  if (rmcp.messageClass !== RmcpClass.ipmi) return decodeError('rmcp.class', `${rmcp.messageClass}, want 7 (IPMI)`);
  return rmcp.body;
}

export function parseV15Response(packet: Uint8Array): LanMessage | DecodeError {
  const body = ipmiBody(packet);
  if (isDecodeError(body)) return body;
  const session = decodeSessionV15(body);
  return isDecodeError(session) ? session : decodeLanMessage(session.payload);
}

export function setupPacket(payloadType: number, payload: Uint8Array): Uint8Array {
  return rmcpIpmi(encodeSessionV20({ payloadType, encrypted: false, authenticated: false, sessionId: 0, sequence: 0, payload }));
}

/** The payload of a session-setup answer of type `payloadType` (Open Session Response, RAKP2, RAKP4). */
export function parseSetupResponse(packet: Uint8Array, payloadType: number): Uint8Array | DecodeError {
  const body = ipmiBody(packet);
  if (isDecodeError(body)) return body;
  const session = decodeSessionV20(body);
  if (isDecodeError(session)) return session;
  if (session.payloadType !== payloadType) return decodeError('v20.payloadType', `0x${session.payloadType.toString(16)}, want 0x${payloadType.toString(16)}`);
  return session.payload;
}

/** An IPMI message inside the active session: encrypted, then integrity-protected. */
export function sealedPacket(keys: SessionKeys, bmcSessionId: number, sequence: number, message: LanMessage, iv: Uint8Array): Uint8Array {
  return sealedPayload(keys, bmcSessionId, sequence, PayloadType.ipmi, encodeLanMessage(message), iv);
}

/**
 * Any payload type inside the active session (IPMI messages, SOL): encrypted when the suite
 * has confidentiality and `encrypt` allows it, integrity-protected when it has integrity.
 */
export function sealedPayload(
  keys: SessionKeys, bmcSessionId: number, sequence: number, payloadType: number, plain: Uint8Array, iv: Uint8Array, encrypt = true,
): Uint8Array {
  const encrypted = encrypt && keys.suite.confidentiality !== 0;
  const authenticated = keys.suite.integrity !== 0;
  return rmcpIpmi(encodeSessionV20(
    {
      payloadType, encrypted, authenticated, sessionId: bmcSessionId, sequence,
      payload: encrypted ? encryptPayload(keys.k2, iv, plain) : plain,
    },
    (covered) => integrityCode(keys.suite, keys.k1, covered),
  ));
}

/** Checks session ID and integrity, decrypts, and decodes the IPMI message of a session packet. */
export function openSealedPacket(keys: SessionKeys, consoleSessionId: number, packet: Uint8Array): LanMessage | DecodeError {
  const plain = openSealedPayload(keys, consoleSessionId, packet, PayloadType.ipmi);
  return isDecodeError(plain) ? plain : decodeLanMessage(plain);
}

/** The payload type of a session packet without checking it (to route SOL apart from IPMI), or -1. */
export function sessionPayloadType(packet: Uint8Array): number {
  // RMCP header (4 bytes), then auth type 0x06, then the payload type byte.
  return packet.length > 5 && packet[4] === AUTH_TYPE_RMCP_PLUS ? packet[5] & 0x3f : -1;
}

/** Checks session ID and integrity and decrypts a session packet of `payloadType`. */
export function openSealedPayload(keys: SessionKeys, consoleSessionId: number, packet: Uint8Array, payloadType: number): Uint8Array | DecodeError {
  const body = ipmiBody(packet);
  if (isDecodeError(body)) return body;
  if (body[0] !== AUTH_TYPE_RMCP_PLUS) return decodeError('v20.authType', `0x${(body[0] ?? 0).toString(16)}, want 0x06 in a session`);
  const session = decodeSessionV20(body, keys.suite.integrityLength);
  if (isDecodeError(session)) return session;
  const problem = sessionProblem(keys, consoleSessionId, session, payloadType);
  if (problem) return problem;
  return session.encrypted ? decryptPayload(keys.k2, session.payload) : session.payload;
}

function sessionProblem(keys: SessionKeys, consoleSessionId: number, s: DecodedSessionV20, payloadType: number): DecodeError | undefined {
  if (s.payloadType !== payloadType) return decodeError('v20.payloadType', `0x${s.payloadType.toString(16)}, want 0x${payloadType.toString(16).padStart(2, '0')}`);
  if (s.sessionId !== consoleSessionId) return decodeError('v20.sessionId', `0x${s.sessionId.toString(16)} is not this session`);
  const needAuth = keys.suite.integrity !== 0;
  if (needAuth && !s.integrity) return decodeError('v20.authenticated', 'unauthenticated packet in an authenticated session');
  if (needAuth && !equalBytes(integrityCode(keys.suite, keys.k1, s.integrity!.covered), s.integrity!.authCode)) {
    return decodeError('v20.authCode', 'integrity check failed');
  }
  // SOL may be activated unencrypted (Activate Payload aux byte), IPMI messages may not.
  if (payloadType === PayloadType.ipmi && keys.suite.confidentiality !== 0 && !s.encrypted) {
    return decodeError('v20.encrypted', 'unencrypted packet in an encrypted session');
  }
  return undefined;
}
