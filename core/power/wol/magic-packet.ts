/**
 * The Wake-on-LAN magic packet (AMD "Magic Packet Technology" white paper, 1995): six 0xFF
 * bytes, then the target MAC sixteen times, optionally followed by a SecureOn password of
 * 4 or 6 bytes. Pure: no sockets.
 */
import { invalid } from '../../shared/errors.ts';
import { macToBytes, parseMac } from '../../shared/mac.ts';

export const MAGIC_PACKET_BYTES = 102;

export function magicPacket(mac: string, password?: Uint8Array): Uint8Array {
  if (password && password.length !== 4 && password.length !== 6) {
    throw invalid(`SecureOn password is ${password.length} bytes, want 4 or 6`);
  }
  const macBytes = macToBytes(parseMac(mac));
  const out = new Uint8Array(MAGIC_PACKET_BYTES + (password?.length ?? 0));
  out.fill(0xff, 0, 6);
  for (let i = 0; i < 16; i++) out.set(macBytes, 6 + i * 6);
  if (password) out.set(password, MAGIC_PACKET_BYTES);
  return out;
}

/**
 * A SecureOn password as ether-wake writes it: six hex octets ("00:11:22:33:44:55") or four
 * decimal octets ("192.168.1.1", the 4-byte form).
 */
export function parseSecureOnPassword(text: string): Uint8Array {
  const dotted = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (dotted) {
    const bytes = dotted.slice(1).map(Number);
    if (bytes.some((b) => b > 255)) throw invalid(`SecureOn password "${text}": an octet is above 255`);
    return Uint8Array.from(bytes);
  }
  const hex = /^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(\1[0-9a-f]{2}){2}((\1[0-9a-f]{2}){2})?$/i.exec(text);
  if (!hex) throw invalid(`SecureOn password "${text}": want 4 or 6 hex octets (aa:bb:cc:dd[:ee:ff]) or a.b.c.d`);
  return Uint8Array.from(text.replace(/[:-]/g, '').match(/../g)!.map((h) => parseInt(h, 16)));
}
