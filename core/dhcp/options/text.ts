/**
 * Options whose value is text (RFC 2132 sections 3.14, 3.17, 9.9, 9.13, 9.4, 9.5): host name (12),
 * domain name (15), message (56), vendor class identifier (60), TFTP server name (66),
 * bootfile name (67). Octets are mapped through latin1 so any bytes round-trip exactly.
 */
import { latin1, latin1Bytes, type OptionCodec } from './option-codec.ts';

function text(code: number, name: string): OptionCodec<string> {
  return { code, name, decode: latin1, encode: latin1Bytes };
}

export const hostName = text(12, 'host name');
export const domainName = text(15, 'domain name');
export const message = text(56, 'message');
export const vendorClass = text(60, 'vendor class identifier');
export const tftpServerName = text(66, 'TFTP server name');
export const bootfileName = text(67, 'bootfile name');
