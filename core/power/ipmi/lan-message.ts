/**
 * IPMI LAN message framing (IPMI v2.0 section 13.8, figure 13-4): the request/response
 * header with its two 2's-complement checksums. Dragonfly is the remote console
 * (software ID 0x81) talking to the BMC (slave address 0x20).
 */
import { ByteReader, ByteWriter } from '../../shared/bytes.ts';
import { decodeError, readerError, type DecodeError } from './wire.ts';

export const BMC_SLAVE_ADDRESS = 0x20;
export const REMOTE_CONSOLE_SWID = 0x81;

export interface LanMessage {
  targetAddress: number; // rsAddr in a request, rqAddr in a response
  netFn: number; // 6 bits; responses have the request's netFn + 1
  targetLun: number; // 2 bits
  sourceAddress: number;
  sequence: number; // rqSeq, 6 bits
  sourceLun: number;
  command: number;
  data: Uint8Array; // for a response, data[0] is the completion code
}

/** 2's-complement checksum: the bytes plus the checksum sum to zero mod 256. */
export function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  return (0x100 - sum) & 0xff;
}

export function encodeLanMessage(m: LanMessage): Uint8Array {
  const head = Uint8Array.of(m.targetAddress, ((m.netFn & 0x3f) << 2) | (m.targetLun & 3));
  const body = new ByteWriter(4 + m.data.length)
    .u8(m.sourceAddress)
    .u8(((m.sequence & 0x3f) << 2) | (m.sourceLun & 3))
    .u8(m.command)
    .bytes(m.data)
    .finish();
  return new ByteWriter(body.length + 4).bytes(head).u8(checksum(head)).bytes(body).u8(checksum(body)).finish();
}

export function decodeLanMessage(bytes: Uint8Array): LanMessage | DecodeError {
  if (bytes.length < 7) return decodeError('lan.length', `${bytes.length} bytes, want at least 7`);
  const r = new ByteReader(bytes);
  const targetAddress = r.u8('lan.targetAddress');
  const netFnLun = r.u8('lan.netFn');
  const sum1 = r.u8('lan.checksum1');
  if (checksum(bytes.subarray(0, 2)) !== sum1) return decodeError('lan.checksum1', `0x${sum1.toString(16)} does not match the header`);
  const sourceAddress = r.u8('lan.sourceAddress');
  const seqLun = r.u8('lan.sequence');
  const command = r.u8('lan.command');
  const data = r.bytes(r.remaining - 1, 'lan.data').slice();
  const sum2 = r.u8('lan.checksum2');
  const err = readerError(r);
  if (err) return err;
  if (checksum(bytes.subarray(3, bytes.length - 1)) !== sum2) {
    return decodeError('lan.checksum2', `0x${sum2.toString(16)} does not match the body`);
  }
  return {
    targetAddress, netFn: netFnLun >> 2, targetLun: netFnLun & 3,
    sourceAddress, sequence: seqLun >> 2, sourceLun: seqLun & 3, command, data,
  };
}

/** A request from the remote console to the BMC, LUN 0. */
export function consoleRequest(netFn: number, command: number, sequence: number, data: Uint8Array): LanMessage {
  return {
    targetAddress: BMC_SLAVE_ADDRESS, netFn, targetLun: 0,
    sourceAddress: REMOTE_CONSOLE_SWID, sequence, sourceLun: 0, command, data,
  };
}

/** Does `res` answer `req` (same command, netFn + 1, same sequence)? */
export function answers(res: LanMessage, req: LanMessage): boolean {
  return res.netFn === req.netFn + 1 && res.command === req.command && res.sequence === req.sequence;
}
