/**
 * RMCP+ cryptography (IPMI v2.0 sections 13.28-13.32) for cipher suites 3 and 17:
 * RAKP key exchange HMACs, session keys SIK/K1/K2, the integrity code, and AES-CBC-128
 * with IPMI's confidentiality pad. Pure functions over node:crypto.
 */
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { concatBytes, decodeError, type DecodeError } from './wire.ts';

export type CipherSuiteId = 3 | 17;

export interface CipherSuite {
  id: CipherSuiteId;
  hash: 'sha1' | 'sha256';
  /** Algorithm numbers for Open Session (table 13-17..13-19). */
  authentication: number;
  integrity: number;
  confidentiality: number;
  /** Bytes of the RAKP2/RAKP3 HMAC (full digest). */
  rakpHmacLength: number;
  /** Bytes of RAKP4's ICV and of each packet's integrity code (truncated HMAC). */
  integrityLength: number;
}

/** Suite 3: RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128 (table 22-20). */
export const SUITE_3: CipherSuite = {
  id: 3, hash: 'sha1', authentication: 1, integrity: 1, confidentiality: 1, rakpHmacLength: 20, integrityLength: 12,
};
/** Suite 17: RAKP-HMAC-SHA256, HMAC-SHA256-128, AES-CBC-128 (IPMI v2.0 errata / rev 1.1). */
export const SUITE_17: CipherSuite = {
  id: 17, hash: 'sha256', authentication: 3, integrity: 4, confidentiality: 1, rakpHmacLength: 32, integrityLength: 16,
};

export const cipherSuite = (id: CipherSuiteId): CipherSuite => (id === 17 ? SUITE_17 : SUITE_3);

export const hmac = (hash: 'sha1' | 'sha256', key: Uint8Array, ...data: Uint8Array[]): Uint8Array => {
  const h = createHmac(hash, key);
  for (const d of data) h.update(d);
  return new Uint8Array(h.digest());
};

const le32 = (v: number) => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);

/** Everything both sides of the RAKP exchange know once RAKP2 has arrived. */
export interface RakpExchange {
  consoleSessionId: number; // SIDm
  bmcSessionId: number; // SIDc
  consoleRandom: Uint8Array; // Rm, 16 bytes
  bmcRandom: Uint8Array; // Rc, 16 bytes
  bmcGuid: Uint8Array; // GUIDc, 16 bytes
  role: number; // ROLEm as sent in RAKP1 (including the name-only lookup bit)
  username: Uint8Array; // UNAMEm
}

/** RAKP2 key exchange auth code, keyed with the user's password Kuid (section 13.31). */
export function rakp2AuthCode(suite: CipherSuite, kuid: Uint8Array, x: RakpExchange): Uint8Array {
  return hmac(
    suite.hash, kuid,
    le32(x.consoleSessionId), le32(x.bmcSessionId), x.consoleRandom, x.bmcRandom, x.bmcGuid,
    Uint8Array.of(x.role, x.username.length), x.username,
  );
}

/** RAKP3 key exchange auth code: proves to the BMC that the console knows Kuid. */
export function rakp3AuthCode(suite: CipherSuite, kuid: Uint8Array, x: RakpExchange): Uint8Array {
  return hmac(suite.hash, kuid, x.bmcRandom, le32(x.consoleSessionId), Uint8Array.of(x.role, x.username.length), x.username);
}

/** Session Integrity Key, keyed with Kg (the BMC key, which defaults to Kuid when unset). */
export function sessionIntegrityKey(suite: CipherSuite, kg: Uint8Array, x: RakpExchange): Uint8Array {
  return hmac(suite.hash, kg, x.consoleRandom, x.bmcRandom, Uint8Array.of(x.role, x.username.length), x.username);
}

/** RAKP4 integrity check value, truncated to the integrity algorithm's length. */
export function rakp4Icv(suite: CipherSuite, sik: Uint8Array, x: RakpExchange): Uint8Array {
  return hmac(suite.hash, sik, x.consoleRandom, le32(x.bmcSessionId), x.bmcGuid).slice(0, suite.integrityLength);
}

/**
 * K1 (integrity) and K2 (confidentiality): HMAC(SIK, Const1/Const2) (section 13.32). The
 * constants are 20 bytes of 0x01 / 0x02 for every hash, SHA-256 included (BMCs and ipmitool
 * agree on 20; the key itself is the full digest).
 */
export function additionalKey(suite: CipherSuite, sik: Uint8Array, n: 1 | 2): Uint8Array {
  return hmac(suite.hash, sik, new Uint8Array(20).fill(n));
}

/** Per-packet integrity code over auth type .. next header (section 13.28.4). */
export function integrityCode(suite: CipherSuite, k1: Uint8Array, covered: Uint8Array): Uint8Array {
  return hmac(suite.hash, k1, covered).slice(0, suite.integrityLength);
}

/** Confidentiality pad (section 13.29): pad bytes 1, 2, 3, ... then the pad length, to a 16-byte multiple. */
export function confidentialityPad(length: number): Uint8Array {
  const n = (16 - ((length + 1) % 16)) % 16;
  const pad = new Uint8Array(n + 1);
  for (let i = 0; i < n; i++) pad[i] = i + 1;
  pad[n] = n;
  return pad;
}

/** AES-CBC-128 payload: IV, then ciphertext of payload + pad; the key is K2's first 16 bytes. */
export function encryptPayload(k2: Uint8Array, iv: Uint8Array, payload: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-128-cbc', k2.subarray(0, 16), iv).setAutoPadding(false);
  const body = Buffer.concat([c.update(concatBytes(payload, confidentialityPad(payload.length))), c.final()]);
  return concatBytes(iv, body);
}

export function decryptPayload(k2: Uint8Array, data: Uint8Array): Uint8Array | DecodeError {
  if (data.length < 32 || data.length % 16 !== 0) {
    return decodeError('aes.length', `${data.length} bytes, want IV + a positive multiple of 16`);
  }
  const d = createDecipheriv('aes-128-cbc', k2.subarray(0, 16), data.subarray(0, 16)).setAutoPadding(false);
  const plain = new Uint8Array(Buffer.concat([d.update(data.subarray(16)), d.final()]));
  const padLength = plain[plain.length - 1];
  if (padLength > 15) return decodeError('aes.padLength', `${padLength}, at most 15`);
  const end = plain.length - 1 - padLength;
  for (let i = 0; i < padLength; i++) {
    if (plain[end + i] !== i + 1) return decodeError('aes.pad', `byte ${i} is ${plain[end + i]}, want ${i + 1}`);
  }
  return plain.slice(0, end);
}
