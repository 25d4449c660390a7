/**
 * Key exchange and session keys. The suite 3 vector was recorded from ipmitool 1.8.19
 * (`-vvvv`) opening a session with OpenIPMI ipmi_sim (user admin/secret, ipmitool's fixed
 * console session ID 0xa0a2a3a4): the BMC accepted it, so both sides agree on these bytes.
 */
import { createCipheriv, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  additionalKey, confidentialityPad, decryptPayload, encryptPayload, integrityCode, rakp2AuthCode, rakp3AuthCode,
  rakp4Icv, sessionIntegrityKey, SUITE_17, SUITE_3, type RakpExchange,
} from './crypto.ts';
import { isDecodeError } from './wire.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const recorded: RakpExchange = {
  consoleSessionId: 0xa0a2a3a4,
  bmcSessionId: 0x00000984,
  consoleRandom: hex('6ed6242ddc1b8a4c27d52f7b34c110e5'),
  bmcRandom: hex('574210c4f0213a8788aee6b4d9b9ad4f'),
  bmcGuid: hex('a123456789abcdefa123456789abcdef'),
  role: 0x14,
  username: new TextEncoder().encode('admin'),
};
const kuid = new TextEncoder().encode('secret');

describe('cipher suite 3 against a recorded ipmitool/ipmi_sim session', () => {
  it('computes the RAKP2 HMAC the BMC sent', () => {
    expect(toHex(rakp2AuthCode(SUITE_3, kuid, recorded))).toBe('7959da2436c2f3e37685e7177555cd4b47632b1c');
  });
  it('computes the RAKP3 HMAC the BMC accepted', () => {
    expect(toHex(rakp3AuthCode(SUITE_3, kuid, recorded))).toBe('ea70c7a8eb0ad4ab87b848f2e9e4ab2cd4277053');
  });
  it('derives SIK, K1 and K2', () => {
    const sik = sessionIntegrityKey(SUITE_3, kuid, recorded);
    expect(toHex(sik)).toBe('fc459b9c082317e0aaea864e6a3b823c1cd39f57');
    expect(toHex(additionalKey(SUITE_3, sik, 1))).toBe('38c17f4f0c117d2a841bc41580b0c0f592be6e84');
    expect(toHex(additionalKey(SUITE_3, sik, 2))).toBe('016668d8ec6d4e65aff055767ee8c73ff0c36122');
  });
  it('computes the 12-byte RAKP4 ICV (HMAC-SHA1-96) the BMC sent', () => {
    const sik = sessionIntegrityKey(SUITE_3, kuid, recorded);
    expect(toHex(rakp4Icv(SUITE_3, sik, recorded))).toBe('7b8bbc81b7b0620373bfe259');
  });
  it('does not match with another password', () => {
    expect(toHex(rakp2AuthCode(SUITE_3, new TextEncoder().encode('secreT'), recorded))).not.toBe('7959da2436c2f3e37685e7177555cd4b47632b1c');
  });
});

describe('cipher suite 17 (HMAC-SHA256), recomputed the way a BMC lays out the buffers', () => {
  // IPMI v2.0 section 13.31: RAKP2 input is SIDm, SIDc (little-endian), Rm, Rc, GUIDc, ROLEm, ULENGTHm, UNAMEm.
  const rakp2Input = Buffer.concat([
    hex('a4a3a2a0'), hex('84090000'), recorded.consoleRandom, recorded.bmcRandom, recorded.bmcGuid, hex('1405'), Buffer.from('admin'),
  ]);
  const bmcHmac = (key: Uint8Array, data: Uint8Array) => new Uint8Array(createHmac('sha256', key).update(data).digest());

  it('RAKP2 HMAC is the 32-byte HMAC-SHA256 of the spec buffer, keyed with the zero-padded password', () => {
    const padded = new Uint8Array(20);
    padded.set(kuid);
    expect(rakp2Input.length).toBe(63);
    expect(toHex(rakp2AuthCode(SUITE_17, kuid, recorded))).toBe(toHex(bmcHmac(padded, rakp2Input)));
  });
  it('RAKP4 ICV is HMAC-SHA256-128 over Rm, SIDc, GUIDc keyed with SIK', () => {
    const sik = bmcHmac(kuid, Buffer.concat([recorded.consoleRandom, recorded.bmcRandom, hex('1405'), Buffer.from('admin')]));
    expect(toHex(sessionIntegrityKey(SUITE_17, kuid, recorded))).toBe(toHex(sik));
    const icv = bmcHmac(sik, Buffer.concat([recorded.consoleRandom, hex('84090000'), recorded.bmcGuid])).slice(0, 16);
    expect(toHex(rakp4Icv(SUITE_17, sik, recorded))).toBe(toHex(icv));
    expect(rakp4Icv(SUITE_17, sik, recorded)).toHaveLength(16);
  });
  it('K1/K2 use the 20-byte constants and keep the full 32-byte digest', () => {
    const sik = sessionIntegrityKey(SUITE_17, kuid, recorded);
    const k1 = additionalKey(SUITE_17, sik, 1);
    expect(k1).toHaveLength(32);
    expect(toHex(k1)).toBe(toHex(bmcHmac(sik, new Uint8Array(20).fill(1))));
    expect(integrityCode(SUITE_17, k1, Uint8Array.of(6, 0xc0))).toHaveLength(16);
  });
});

describe('AES-CBC-128 with the IPMI confidentiality pad', () => {
  const k2 = hex('016668d8ec6d4e65aff055767ee8c73ff0c36122');
  const iv = hex('000102030405060708090a0b0c0d0e0f');

  it('pads with 1, 2, 3, ... then the pad length, to a 16-byte multiple', () => {
    expect([...confidentialityPad(7)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 8]);
    expect([...confidentialityPad(15)]).toEqual([0]);
    expect([...confidentialityPad(16)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15]);
  });

  it('prefixes the IV and encrypts payload + pad with the first 16 bytes of K2', () => {
    const payload = Uint8Array.of(0x20, 0x18, 0xc8, 0x81, 0x04, 0x3b, 0x04, 0x3c);
    const out = encryptPayload(k2, iv, payload);
    expect(toHex(out.subarray(0, 16))).toBe(toHex(iv));
    const c = createCipheriv('aes-128-cbc', k2.subarray(0, 16), iv).setAutoPadding(false);
    const expected = Buffer.concat([c.update(Buffer.concat([payload, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 7)])), c.final()]);
    expect(toHex(out.subarray(16))).toBe(expected.toString('hex'));
    expect(decryptPayload(k2, out)).toEqual(payload);
  });

  it('names the field of a bad length or bad pad', () => {
    expect(decryptPayload(k2, new Uint8Array(20))).toMatchObject({ field: 'aes.length' });
    const out = encryptPayload(k2, iv, Uint8Array.of(1, 2, 3));
    const other = hex('00112233445566778899aabbccddeeff');
    const d = decryptPayload(other, out); // wrong key: garbage pad
    expect(isDecodeError(d) && /^aes\.pad/.test(d.field)).toBe(true);
  });
});
