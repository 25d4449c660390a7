/**
 * RMCP header (DMTF ASF 2.0 section 3.2.2.1, used by IPMI v2.0 section 13.1.3) and the ASF
 * Presence Ping/Pong (ASF 2.0 section 3.2.4.3), which answers "is there an IPMI BMC here?".
 */
import { ByteReader, ByteWriter } from '../../shared/bytes.ts';
import { decodeError, readerError, type DecodeError } from './wire.ts';

export const RMCP_VERSION_1_0 = 0x06;
/** Sequence 0xFF asks the receiver not to send an RMCP ACK (IPMI always uses it). */
export const RMCP_SEQUENCE_NO_ACK = 0xff;
export const RmcpClass = { asf: 0x06, ipmi: 0x07 } as const;
/** The ASF IANA enterprise number carried in every ASF message. */
export const ASF_IANA = 0x000011be;

export interface RmcpPacket {
  sequence: number; // 0xFF = no ACK wanted
  messageClass: number; // bits 0-4 of the class byte: 6 ASF, 7 IPMI
  ack: boolean; // bit 7 of the class byte
  body: Uint8Array;
}

export function encodeRmcp(p: RmcpPacket): Uint8Array {
  return new ByteWriter(4 + p.body.length)
    .u8(RMCP_VERSION_1_0)
    .u8(0) // reserved
    .u8(p.sequence)
    .u8((p.ack ? 0x80 : 0) | (p.messageClass & 0x1f))
    .bytes(p.body)
    .finish();
}

/** Frames an IPMI session (v1.5 or v2.0) in an RMCP header. */
export const rmcpIpmi = (session: Uint8Array): Uint8Array =>
  encodeRmcp({ sequence: RMCP_SEQUENCE_NO_ACK, messageClass: RmcpClass.ipmi, ack: false, body: session });

export function decodeRmcp(bytes: Uint8Array): RmcpPacket | DecodeError {
  const r = new ByteReader(bytes);
  const version = r.u8('rmcp.version');
  r.u8('rmcp.reserved');
  const sequence = r.u8('rmcp.sequence');
  const cls = r.u8('rmcp.class');
  const err = readerError(r);
  if (err) return err;
  if (version !== RMCP_VERSION_1_0) return decodeError('rmcp.version', `0x${version.toString(16)}, want 0x06`);
  return { sequence, messageClass: cls & 0x1f, ack: (cls & 0x80) !== 0, body: r.rest().slice() };
}

export const AsfType = { presencePing: 0x80, presencePong: 0x40 } as const;

export interface AsfMessage {
  type: number;
  tag: number;
  data: Uint8Array;
}

export function encodeAsf(m: AsfMessage): Uint8Array {
  const body = new ByteWriter(8 + m.data.length)
    .u32(ASF_IANA) // ASF fields are big-endian, unlike IPMI's
    .u8(m.type)
    .u8(m.tag)
    .u8(0)
    .u8(m.data.length)
    .bytes(m.data)
    .finish();
  return encodeRmcp({ sequence: RMCP_SEQUENCE_NO_ACK, messageClass: RmcpClass.asf, ack: false, body });
}

export function decodeAsf(body: Uint8Array): AsfMessage | DecodeError {
  const r = new ByteReader(body);
  const iana = r.u32('asf.iana');
  const type = r.u8('asf.type');
  const tag = r.u8('asf.tag');
  r.u8('asf.reserved');
  const len = r.u8('asf.dataLength');
  const data = r.bytes(len, 'asf.data').slice();
  const err = readerError(r);
  if (err) return err;
  if (iana !== ASF_IANA) return decodeError('asf.iana', `${iana}, want ${ASF_IANA}`);
  return { type, tag, data };
}

/** Presence Pong data: does the responder speak IPMI (supported entities bit 7)? */
export function pongSupportsIpmi(pong: AsfMessage): boolean {
  return pong.type === AsfType.presencePong && pong.data.length >= 9 && (pong.data[8] & 0x80) !== 0;
}
