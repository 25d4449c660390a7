/**
 * Serial-over-LAN payload (payload type 1), IPMI v2.0 section 15.9, table 15-2: a packet
 * sequence number (1-15; 0 = acknowledge-only, carries no characters), the sequence number
 * it acknowledges or NACKs (0 = carries no acknowledgement), the count of characters
 * accepted from that packet, an operation (console → BMC) or status (BMC → console) byte,
 * then the characters. Pure: no sockets, no clocks.
 */
import { ByteReader, ByteWriter } from '../../shared/bytes.ts';
import { decodeError, readerError, type DecodeError } from './wire.ts';

/** Operation byte, console → BMC (table 15-2, byte 4). */
export const SolOperation = {
  nack: 0x40, // the acknowledged packet's characters were not accepted
  ringWor: 0x20,
  generateBreak: 0x10,
  ctsPause: 0x08,
  dropDcdDsr: 0x04,
  flushInbound: 0x02,
  flushOutbound: 0x01,
} as const;

/** Status byte, BMC → console (table 15-2, byte 4). */
export const SolStatus = {
  nack: 0x40,
  characterTransferUnavailable: 0x20, // the system's serial port is not available to SOL
  deactivating: 0x10, // the BMC is ending SOL on this session
  transmitOverrun: 0x08, // characters were lost toward the system
  breakDetected: 0x04,
} as const;

export interface SolPacket {
  sequence: number; // 4 bits; 0 = no characters (acknowledge-only)
  ackSequence: number; // 4 bits; 0 = no acknowledgement in this packet
  acceptedCount: number; // characters accepted from the packet `ackSequence` names
  flags: number; // SolOperation or SolStatus bits
  data: Uint8Array;
}

export function encodeSolPacket(p: SolPacket): Uint8Array {
  return new ByteWriter(4 + p.data.length)
    .u8(p.sequence & 0x0f)
    .u8(p.ackSequence & 0x0f)
    .u8(p.acceptedCount & 0xff)
    .u8(p.flags & 0xff)
    .bytes(p.data)
    .finish();
}

export function decodeSolPacket(bytes: Uint8Array): SolPacket | DecodeError {
  const r = new ByteReader(bytes);
  const sequence = r.u8('sol.sequence');
  const ackSequence = r.u8('sol.ackSequence');
  const acceptedCount = r.u8('sol.acceptedCount');
  const flags = r.u8('sol.status');
  const err = readerError(r);
  if (err) return err;
  // Bits 7:4 of both sequence bytes are reserved; a BMC that sets them is not speaking SOL.
  if (sequence > 0x0f) return decodeError('sol.sequence', `0x${sequence.toString(16)}, want 0-15`);
  if (ackSequence > 0x0f) return decodeError('sol.ackSequence', `0x${ackSequence.toString(16)}, want 0-15`);
  const data = r.rest().slice();
  if (sequence === 0 && data.length > 0) return decodeError('sol.data', `${data.length} characters in an acknowledge-only packet (sequence 0)`);
  return { sequence, ackSequence, acceptedCount, flags, data };
}

/** The next packet sequence number: 1..15, wrapping past 0 (0 means "no data"). */
export const nextSolSequence = (seq: number): number => (seq % 15) + 1;
