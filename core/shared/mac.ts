import { invalid } from './errors.ts';

/** A MAC address in canonical form: lower-case, colon-separated ("52:54:00:12:34:56"). */
export type Mac = string & { readonly __mac: unique symbol };

const MAC_RE = /^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;

export function isMac(s: string): boolean {
  return MAC_RE.test(s);
}

/** Accepts "52:54:00:AB:CD:EF", "52-54-00-ab-cd-ef" or "525400abcdef". */
export function parseMac(s: string): Mac {
  if (!isMac(s)) throw invalid(`"${s}" is not a MAC address (want six hex octets, e.g. 52:54:00:12:34:56)`);
  const hex = s.replace(/[:-]/g, '').toLowerCase();
  return hex.match(/../g)!.join(':') as Mac;
}

export function macFromBytes(b: Uint8Array): Mac {
  if (b.length !== 6) throw invalid(`MAC needs 6 bytes, got ${b.length}`);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':') as Mac;
}

export function macToBytes(mac: Mac): Uint8Array {
  return Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));
}
