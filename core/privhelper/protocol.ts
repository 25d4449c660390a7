/**
 * The privileged helper's wire protocol: frames over a byte stream (the helper's stdin/stdout
 * when started through pkexec, or a Unix stream socket when root/systemd started it).
 * Pure: no sockets, clocks or logs. Big-endian, like the network protocols it carries.
 *
 *   frame    = u32 length (of type + body, 1..MAX_FRAME_BODY) | u8 type | body
 *   open     (app → helper)  u32 id | u16 port | u8 n | interface name (n bytes, ASCII)
 *   opened   (helper → app)  u32 id
 *   failed   (helper → app)  u32 id | u8 reason | message (UTF-8, rest)   open refused, or socket error later
 *   send     (app → helper)  u32 id | IPv4 (4) | u16 port | payload      datagram to send from socket id
 *   datagram (helper → app)  u32 id | IPv4 (4) | u16 port | payload      datagram received on socket id
 *   close    (app → helper)  u32 id
 *   probe    (app → helper)  u32 id | u8 n | interface name             UDP 68 for the existing-DHCP probe
 */
import { ByteReader, ByteWriter } from '../shared/bytes.ts';

/** The only ports the helper binds: DHCP server (RFC 2131), TFTP (RFC 1350), PXE boot server (PXE 2.1). */
export const PRIVILEGED_PORTS: readonly number[] = [67, 69, 4011];
/**
 * The DHCP client port (RFC 2131), bound only by a `probe` frame: the existing-DHCP probe
 * (DESIGN.md section 9) sends its DISCOVER from it. Never through `open`.
 */
export const PROBE_PORT = 68;
/** Largest UDP payload over IPv4 (65535 - 20 IP - 8 UDP). */
export const MAX_PAYLOAD = 65507;
/** type + id + address + port + payload. */
export const MAX_FRAME_BODY = 1 + 4 + 4 + 2 + MAX_PAYLOAD;
/** Linux IFNAMSIZ - 1. */
const MAX_IFACE = 15;
const MAX_MESSAGE = 1024;

const typeOf = { open: 1, opened: 2, failed: 3, send: 4, datagram: 5, close: 6, probe: 7 } as const satisfies Record<string, number>;

/** Why an open was refused or a socket failed; the app maps it to its own error codes. */
export type FailReason = 'forbidden' | 'in-use' | 'not-found' | 'refused' | 'error';
const REASONS: readonly FailReason[] = ['forbidden', 'in-use', 'not-found', 'refused', 'error'];

export type HelperMessage =
  | { type: 'open'; id: number; port: number; iface: string }
  | { type: 'opened'; id: number }
  | { type: 'failed'; id: number; reason: FailReason; message: string }
  | { type: 'send'; id: number; address: string; port: number; payload: Uint8Array }
  | { type: 'datagram'; id: number; address: string; port: number; payload: Uint8Array }
  | { type: 'close'; id: number }
  | { type: 'probe'; id: number; iface: string };

/** A frame that does not decode; `field` names what was wrong. */
export class ProtocolError {
  constructor(
    readonly field: string,
    readonly message: string,
  ) {}
}

export function isProtocolError(x: unknown): x is ProtocolError {
  return x instanceof ProtocolError;
}

/** Interface names the helper accepts: what Linux allows, minus '/', whitespace and control bytes. */
export function validInterfaceName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_IFACE && /^[A-Za-z0-9_.:@+-]+$/.test(name) && name !== '.' && name !== '..';
}

function ipv4Bytes(address: string): Uint8Array | undefined {
  const parts = address.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return Uint8Array.from(parts.map(Number));
}

/** Encodes one message as a complete frame. Throws on values the protocol cannot carry (a caller bug). */
export function encodeFrame(m: HelperMessage): Uint8Array {
  const w = new ByteWriter(64 + ('payload' in m ? m.payload.length : 0));
  w.u32(0).u8(typeOf[m.type]).u32(m.id);
  if (m.type === 'open') {
    if (!validInterfaceName(m.iface)) throw new RangeError(`interface name "${m.iface}" cannot be sent to the helper`);
    w.u16(m.port).u8(m.iface.length).bytes(new TextEncoder().encode(m.iface));
  } else if (m.type === 'probe') {
    if (!validInterfaceName(m.iface)) throw new RangeError(`interface name "${m.iface}" cannot be sent to the helper`);
    w.u8(m.iface.length).bytes(new TextEncoder().encode(m.iface));
  } else if (m.type === 'failed') {
    w.u8(REASONS.indexOf(m.reason)).bytes(new TextEncoder().encode(m.message.slice(0, MAX_MESSAGE)));
  } else if (m.type === 'send' || m.type === 'datagram') {
    const ip = ipv4Bytes(m.address);
    if (!ip) throw new RangeError(`"${m.address}" is not an IPv4 address`);
    if (m.payload.length > MAX_PAYLOAD) throw new RangeError(`payload of ${m.payload.length} bytes exceeds ${MAX_PAYLOAD}`);
    w.bytes(ip).u16(m.port).bytes(m.payload);
  }
  const frame = w.finish();
  new DataView(frame.buffer).setUint32(0, frame.length - 4);
  return frame;
}

/** Decodes one frame body (type byte onward, without the length prefix). Never throws. */
export function decodeFrameBody(body: Uint8Array): HelperMessage | ProtocolError {
  const r = new ByteReader(body);
  const type = r.u8('type');
  const id = r.u32('id');
  let m: HelperMessage | ProtocolError;
  switch (type) {
    case typeOf.open:
      m = decodeOpen(r, id);
      break;
    case typeOf.probe:
      m = decodeProbe(r, id);
      break;
    case typeOf.opened:
      m = { type: 'opened', id };
      break;
    case typeOf.close:
      m = { type: 'close', id };
      break;
    case typeOf.failed:
      m = decodeFailed(r, id);
      break;
    case typeOf.send:
    case typeOf.datagram:
      m = decodeDatagram(r, id, type === typeOf.send ? 'send' : 'datagram');
      break;
    default:
      return new ProtocolError('type', `unknown frame type ${type}`);
  }
  if (r.error) return new ProtocolError('frame', r.error);
  if (isProtocolError(m)) return m;
  if (r.remaining > 0) return new ProtocolError('frame', `${r.remaining} bytes after the ${m.type} frame`);
  return m;
}

function decodeOpen(r: ByteReader, id: number): HelperMessage | ProtocolError {
  const port = r.u16('port');
  const n = r.u8('interface length');
  const iface = String.fromCharCode(...r.bytes(n, 'interface'));
  if (r.error) return new ProtocolError('open', r.error);
  if (!validInterfaceName(iface)) return new ProtocolError('interface', `invalid interface name ${JSON.stringify(iface)}`);
  return { type: 'open', id, port, iface };
}

function decodeProbe(r: ByteReader, id: number): HelperMessage | ProtocolError {
  const n = r.u8('interface length');
  const iface = String.fromCharCode(...r.bytes(n, 'interface'));
  if (r.error) return new ProtocolError('probe', r.error);
  if (!validInterfaceName(iface)) return new ProtocolError('interface', `invalid interface name ${JSON.stringify(iface)}`);
  return { type: 'probe', id, iface };
}

function decodeFailed(r: ByteReader, id: number): HelperMessage | ProtocolError {
  const reason = REASONS[r.u8('reason')];
  const message = new TextDecoder().decode(r.rest());
  if (!reason) return new ProtocolError('reason', 'unknown failure reason');
  return { type: 'failed', id, reason, message };
}

function decodeDatagram(r: ByteReader, id: number, type: 'send' | 'datagram'): HelperMessage | ProtocolError {
  const address = Array.from(r.bytes(4, 'address')).join('.');
  const port = r.u16('port');
  const payload = r.rest();
  if (port === 0 && !r.error) return new ProtocolError('port', 'port 0');
  return { type, id, address, port, payload: payload.slice() };
}

/**
 * Splits a byte stream into frames. `push` returns what decoded; a length outside
 * 1..MAX_FRAME_BODY means the stream is out of step and cannot be trusted again, so it is
 * reported once as `fatal` and everything after it is ignored (the peer must hang up).
 */
export class FrameSplitter {
  private pending: Uint8Array = new Uint8Array(0);
  fatal: ProtocolError | undefined;

  push(chunk: Uint8Array): Array<HelperMessage | ProtocolError> {
    if (this.fatal) return [];
    this.pending = concat(this.pending, chunk);
    const out: Array<HelperMessage | ProtocolError> = [];
    while (this.pending.length >= 4) {
      const len = new DataView(this.pending.buffer, this.pending.byteOffset).getUint32(0);
      if (len < 1 || len > MAX_FRAME_BODY) {
        this.fatal = new ProtocolError('length', `frame length ${len} outside 1..${MAX_FRAME_BODY}`);
        this.pending = new Uint8Array(0);
        return out;
      }
      if (this.pending.length < 4 + len) break;
      out.push(decodeFrameBody(this.pending.subarray(4, 4 + len)));
      this.pending = this.pending.subarray(4 + len);
    }
    return out;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
