/**
 * TFTP packet codec (RFC 1350, with the option extension of RFC 2347 and its OACK).
 * Pure: bytes in, typed values out and back. No sockets, clocks or logs.
 *
 * Strings (file name, mode, option names and values, error messages) are decoded as
 * latin1 so that every byte maps to one character and `encode(decode(x))` is byte-exact
 * whatever the client sent; the server decides what a name means (see path-jail.ts).
 */
import { ByteReader, ByteWriter } from '../shared/bytes.ts';

/** Opcodes, RFC 1350 section 5 and RFC 2347 (OACK). */
export const TftpOpcode = { rrq: 1, wrq: 2, data: 3, ack: 4, error: 5, oack: 6 } as const;

/** Error codes, RFC 1350 appendix and RFC 2347 (8: option negotiation refused). */
export const TftpErrorCode = {
  notDefined: 0,
  fileNotFound: 1,
  accessViolation: 2,
  diskFull: 3,
  illegalOperation: 4,
  unknownTransferId: 5,
  fileExists: 6,
  noSuchUser: 7,
  optionsRefused: 8,
} as const;

/** One option as sent on the wire, order kept (RFC 2347 section 2). */
export interface TftpOption {
  name: string;
  value: string;
}

export type TftpRequest = { op: 'rrq' | 'wrq'; filename: string; mode: string; options: TftpOption[] };
export type TftpData = { op: 'data'; block: number; data: Uint8Array };
export type TftpAck = { op: 'ack'; block: number };
export type TftpError = { op: 'error'; code: number; message: string };
export type TftpOack = { op: 'oack'; options: TftpOption[] };
export type TftpPacket = TftpRequest | TftpData | TftpAck | TftpError | TftpOack;

/** A packet that could not be decoded; `field` names what was wrong. */
export interface TftpDecodeError {
  kind: 'decode-error';
  field: string;
  message: string;
}

export function isDecodeError<T>(v: T | TftpDecodeError): v is TftpDecodeError {
  return (v as TftpDecodeError).kind === 'decode-error';
}

function decodeError(field: string, message: string): TftpDecodeError {
  return { kind: 'decode-error', field, message };
}

const latin1 = new TextDecoder('latin1');

/** Reads a NUL-terminated string; undefined when no NUL is left. */
function readString(bytes: Uint8Array, from: number): { text: string; next: number } | undefined {
  const end = bytes.indexOf(0, from);
  if (end < 0) return undefined;
  return { text: latin1.decode(bytes.subarray(from, end)), next: end + 1 };
}

function decodeRequest(op: 'rrq' | 'wrq', bytes: Uint8Array): TftpRequest | TftpDecodeError {
  const filename = readString(bytes, 2);
  if (!filename) return decodeError('filename', 'filename: missing NUL terminator');
  const mode = readString(bytes, filename.next);
  if (!mode) return decodeError('mode', 'mode: missing NUL terminator');
  const options = decodeOptions(bytes, mode.next);
  if (isDecodeError(options)) return options;
  return { op, filename: filename.text, mode: mode.text, options };
}

/**
 * Option list, RFC 2347 section 2: name NUL value NUL, repeated. An empty name ends the
 * list: some PXE ROMs pad their request with zero bytes.
 */
function decodeOptions(bytes: Uint8Array, from: number): TftpOption[] | TftpDecodeError {
  const options: TftpOption[] = [];
  let at = from;
  while (at < bytes.length) {
    const name = readString(bytes, at);
    if (!name) return decodeError('option name', `option name at offset ${at}: missing NUL terminator`);
    if (name.text === '') break;
    const value = readString(bytes, name.next);
    if (!value) return decodeError('option value', `option "${name.text}" value: missing NUL terminator`);
    options.push({ name: name.text, value: value.text });
    at = value.next;
  }
  return options;
}

function decodeBlock(op: 'data' | 'ack', bytes: Uint8Array): TftpData | TftpAck | TftpDecodeError {
  const r = new ByteReader(bytes.subarray(2));
  const block = r.u16(`${op} block number`);
  if (r.error) return decodeError(`${op} block number`, r.error);
  // Trailing bytes after an ACK are ignored: the block number is all that matters.
  if (op === 'ack') return { op, block };
  return { op, block, data: bytes.slice(4) };
}

function decodeErrorPacket(bytes: Uint8Array): TftpError | TftpDecodeError {
  const r = new ByteReader(bytes.subarray(2));
  const code = r.u16('error code');
  if (r.error) return decodeError('error code', r.error);
  // A missing terminator on the message is tolerated: the code is what counts.
  const msg = readString(bytes, 4);
  return { op: 'error', code, message: msg ? msg.text : latin1.decode(bytes.subarray(4)) };
}

/** Decodes one datagram. Never throws: bad input gives a TftpDecodeError naming the field. */
export function decodeTftp(bytes: Uint8Array): TftpPacket | TftpDecodeError {
  const r = new ByteReader(bytes);
  const opcode = r.u16('opcode');
  if (r.error) return decodeError('opcode', r.error);
  switch (opcode) {
    case TftpOpcode.rrq:
      return decodeRequest('rrq', bytes);
    case TftpOpcode.wrq:
      return decodeRequest('wrq', bytes);
    case TftpOpcode.data:
      return decodeBlock('data', bytes);
    case TftpOpcode.ack:
      return decodeBlock('ack', bytes);
    case TftpOpcode.error:
      return decodeErrorPacket(bytes);
    case TftpOpcode.oack: {
      const options = decodeOptions(bytes, 2);
      return isDecodeError(options) ? options : { op: 'oack', options };
    }
    default:
      return decodeError('opcode', `opcode ${opcode} is not a TFTP opcode (1..6)`);
  }
}

function latin1Bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

function writeString(w: ByteWriter, text: string): void {
  w.bytes(latin1Bytes(text)).u8(0);
}

function writeOptions(w: ByteWriter, options: TftpOption[]): void {
  for (const o of options) {
    writeString(w, o.name);
    writeString(w, o.value);
  }
}

/** Encodes one packet. Block numbers and codes are taken modulo 65536. */
export function encodeTftp(p: TftpPacket): Uint8Array {
  switch (p.op) {
    case 'rrq':
    case 'wrq': {
      const w = new ByteWriter(64).u16(TftpOpcode[p.op]);
      writeString(w, p.filename);
      writeString(w, p.mode);
      writeOptions(w, p.options);
      return w.finish();
    }
    case 'data': {
      const out = new Uint8Array(4 + p.data.length);
      out[0] = 0;
      out[1] = TftpOpcode.data;
      out[2] = (p.block >>> 8) & 0xff;
      out[3] = p.block & 0xff;
      out.set(p.data, 4);
      return out;
    }
    case 'ack':
      return new ByteWriter(4).u16(TftpOpcode.ack).u16(p.block).finish();
    case 'error': {
      const w = new ByteWriter(32 + p.message.length).u16(TftpOpcode.error).u16(p.code);
      writeString(w, p.message);
      return w.finish();
    }
    case 'oack': {
      const w = new ByteWriter(64).u16(TftpOpcode.oack);
      writeOptions(w, p.options);
      return w.finish();
    }
  }
}
