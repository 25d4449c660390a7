/**
 * DHCPv4 message codec (RFC 2131 section 2, options RFC 2132): pure functions from bytes to a
 * typed DhcpPacket and back. No sockets, clocks or logs here.
 *
 * Exact round trip: decode records where PADs sat, the order options came in and the bytes
 * after END (`layout`), so encodeDhcp(decodeDhcp(x)) reproduces x for well-formed captures.
 * Packets built by hand have no layout and get a canonical encoding (53 first, table order,
 * END, zero padding to the 300-octet BOOTP minimum of RFC 1542 section 3.4).
 */
import { ByteReader, ByteWriter } from '../shared/bytes.ts';
import { macFromBytes, type Mac } from '../shared/mac.ts';
import { ipFromBytes, ipToBytes } from './ipv4.ts';
import { OptionError, latin1, latin1Bytes } from './options/option-codec.ts';
import { keyByCode, optionTable, type DhcpOptions, type OptionKey } from './options/registry.ts';

export type { DhcpOptions } from './options/registry.ts';

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
/** RFC 2131 section 2: the leftmost bit of `flags` asks for broadcast replies. */
export const BROADCAST_FLAG = 0x8000;
const MAGIC_COOKIE = 0x63825363;
const HEADER_LENGTH = 236;
const BOOTP_MIN_LENGTH = 300;

export interface RawOption {
  code: number;
  data: Uint8Array;
}

/** Where things sat on the wire; only needed to reproduce a decoded packet byte for byte. */
export interface WireLayout {
  /** Option codes in arrival order (first occurrence), 0 for each PAD before END. */
  order: number[];
  /** False when the options ran to the end of the datagram without an END. */
  ended: boolean;
  /** Octets after END (usually zero padding). */
  trailer: Uint8Array;
}

export interface DhcpPacket {
  op: number; // 1 BOOTREQUEST, 2 BOOTREPLY
  htype: number; // 1 = Ethernet
  hlen: number; // hardware address length, 6 for Ethernet
  hops: number; // incremented by relays
  xid: number; // transaction id chosen by the client
  secs: number; // seconds since the client began
  flags: number; // BROADCAST_FLAG or 0
  ciaddr: string; // client's own address (RENEWING, REBINDING, INFORM)
  yiaddr: string; // "your" address: what the server assigns
  siaddr: string; // next server (TFTP) address
  giaddr: string; // relay agent address, 0.0.0.0 if not relayed
  chaddr: Uint8Array; // 16 octets, the MAC in the first hlen
  sname: string; // 64-octet server host name field (text up to the first NUL)
  file: string; // 128-octet boot file field (text up to the first NUL)
  options: DhcpOptions;
  /** Options the table does not know, kept for round trip and for callers that look. */
  unknownOptions: RawOption[];
  layout?: WireLayout;
}

/** A decode failure that names the field, e.g. "option 93 length 3, want 2". */
export class DecodeError {
  constructor(
    readonly field: string,
    readonly message: string,
  ) {}
}

export function isDecodeError(x: unknown): x is DecodeError {
  return x instanceof DecodeError;
}

function cString(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return latin1(nul < 0 ? b : b.subarray(0, nul));
}

interface RawArea {
  raw: Map<number, Uint8Array[]>;
  order: number[];
  ended: boolean;
  trailer: Uint8Array;
}

/** Splits an options area into code -> value chunks (RFC 3396: repeated codes concatenate). */
function scanOptions(area: Uint8Array, into: RawArea, where: string): DecodeError | undefined {
  let i = 0;
  while (i < area.length) {
    const code = area[i];
    if (code === 0) {
      into.order.push(0);
      i++;
      continue;
    }
    if (code === 255) {
      into.ended = true;
      into.trailer = area.slice(i + 1);
      return undefined;
    }
    if (i + 1 >= area.length) return new DecodeError(`option ${code}`, `option ${code}${where} has no length octet`);
    const len = area[i + 1];
    if (i + 2 + len > area.length) {
      return new DecodeError(`option ${code}`, `option ${code}${where} length ${len}, only ${area.length - i - 2} octets left`);
    }
    const chunks = into.raw.get(code);
    if (chunks) chunks.push(area.subarray(i + 2, i + 2 + len));
    else {
      into.raw.set(code, [area.subarray(i + 2, i + 2 + len)]);
      into.order.push(code);
    }
    i += 2 + len;
  }
  return undefined;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0].slice();
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** RFC 2131 section 4.1 / RFC 2132 9.3: options continue in `file`, then `sname`. */
function scanOverload(area: RawArea, fileField: Uint8Array, snameField: Uint8Array): DecodeError | undefined {
  const ov = area.raw.get(52);
  if (!ov || ov.length !== 1 || ov[0].length !== 1) return undefined; // typed decode reports it
  const extra: RawArea = { raw: area.raw, order: [], ended: false, trailer: new Uint8Array(0) };
  if (ov[0][0] & 1) {
    const e = scanOptions(fileField, extra, ' (in file)');
    if (e) return e;
  }
  if (ov[0][0] & 2) return scanOptions(snameField, extra, ' (in sname)');
  return undefined;
}

function typedOptions(area: RawArea): { options: DhcpOptions; unknown: RawOption[] } | DecodeError {
  const options: Record<string, unknown> = {};
  const unknown: RawOption[] = [];
  for (const [code, chunks] of area.raw) {
    const data = concat(chunks);
    const key = keyByCode.get(code);
    if (!key) {
      unknown.push({ code, data });
      continue;
    }
    const value = (optionTable[key].decode as (d: Uint8Array) => unknown)(data);
    if (value instanceof OptionError) return new DecodeError(`option ${code}`, `option ${code} ${value.detail}`);
    options[key] = value;
  }
  return { options: options as DhcpOptions, unknown };
}

/** Decodes one DHCP/BOOTP datagram. Never throws: malformed input yields a DecodeError. */
export function decodeDhcp(bytes: Uint8Array): DhcpPacket | DecodeError {
  if (bytes.length < HEADER_LENGTH + 4) {
    return new DecodeError('header', `packet length ${bytes.length}, want at least ${HEADER_LENGTH + 4}`);
  }
  const r = new ByteReader(bytes);
  const head = {
    op: r.u8('op'),
    htype: r.u8('htype'),
    hlen: r.u8('hlen'),
    hops: r.u8('hops'),
    xid: r.u32('xid'),
    secs: r.u16('secs'),
    flags: r.u16('flags'),
    ciaddr: ipFromBytes(r.bytes(4, 'ciaddr')),
    yiaddr: ipFromBytes(r.bytes(4, 'yiaddr')),
    siaddr: ipFromBytes(r.bytes(4, 'siaddr')),
    giaddr: ipFromBytes(r.bytes(4, 'giaddr')),
    chaddr: r.bytes(16, 'chaddr').slice(),
  };
  const snameField = r.bytes(64, 'sname');
  const fileField = r.bytes(128, 'file');
  const cookie = r.u32('magic cookie');
  if (r.error) return new DecodeError('header', r.error);
  if (cookie !== MAGIC_COOKIE) return new DecodeError('magic cookie', `magic cookie 0x${cookie.toString(16)}, want 0x63825363`);
  const area: RawArea = { raw: new Map(), order: [], ended: false, trailer: new Uint8Array(0) };
  const err = scanOptions(r.rest(), area, '') ?? scanOverload(area, fileField, snameField);
  if (err) return err;
  const typed = typedOptions(area);
  if (typed instanceof DecodeError) return typed;
  const overloaded = typed.options.overload ?? 0;
  return {
    ...head,
    sname: overloaded & 2 ? '' : cString(snameField),
    file: overloaded & 1 ? '' : cString(fileField),
    options: typed.options,
    unknownOptions: typed.unknown,
    layout: { order: area.order, ended: area.ended, trailer: area.trailer },
  };
}

/** Canonical option order for packets without a layout: message type first (RFC 2131 4.1 habit). */
const canonicalOrder: OptionKey[] = ['messageType', ...(Object.keys(optionTable) as OptionKey[]).filter((k) => k !== 'messageType')];

function writeOption(w: ByteWriter, code: number, data: Uint8Array): void {
  // RFC 3396: values longer than 255 octets are split into consecutive instances.
  if (data.length === 0) {
    w.u8(code).u8(0);
    return;
  }
  for (let at = 0; at < data.length; at += 255) {
    const chunk = data.subarray(at, at + 255);
    w.u8(code).u8(chunk.length).bytes(chunk);
  }
}

function encodedOptions(p: DhcpPacket): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  for (const key of canonicalOrder) {
    const value = p.options[key];
    if (value === undefined || key === 'overload') continue;
    const codec = optionTable[key] as { code: number; encode(v: unknown): Uint8Array };
    out.set(codec.code, codec.encode(value));
  }
  for (const u of p.unknownOptions ?? []) if (!out.has(u.code) && u.code !== 0 && u.code !== 255 && u.code !== 52) out.set(u.code, u.data);
  return out;
}

function writeHeader(w: ByteWriter, p: DhcpPacket): void {
  w.u8(p.op).u8(p.htype).u8(p.hlen).u8(p.hops).u32(p.xid).u16(p.secs).u16(p.flags);
  for (const ip of [p.ciaddr, p.yiaddr, p.siaddr, p.giaddr]) w.bytes(ipToBytes(ip));
  const chaddr = new Uint8Array(16);
  chaddr.set(p.chaddr.subarray(0, 16));
  w.bytes(chaddr);
  w.bytes(fixedField(p.sname, 64)).bytes(fixedField(p.file, 128));
  w.u32(MAGIC_COOKIE);
}

function fixedField(s: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  // The field is NUL-terminated text: anything after a NUL would not survive a decode.
  out.set(latin1Bytes(s.split('\0')[0]).subarray(0, size));
  return out;
}

/** Encodes a packet. Throws only on values a caller built wrongly (e.g. a malformed IP string). */
export function encodeDhcp(p: DhcpPacket): Uint8Array {
  const w = new ByteWriter(BOOTP_MIN_LENGTH + 64);
  writeHeader(w, p);
  const opts = encodedOptions(p);
  for (const code of p.layout?.order ?? []) {
    if (code === 0) w.u8(0);
    const data = opts.get(code);
    if (data === undefined) continue;
    writeOption(w, code, data);
    opts.delete(code);
  }
  for (const [code, data] of opts) writeOption(w, code, data);
  if (p.layout?.ended !== false) w.u8(255);
  if (p.layout) w.bytes(p.layout.trailer);
  else if (w.length < BOOTP_MIN_LENGTH) w.zeros(BOOTP_MIN_LENGTH - w.length);
  return w.finish();
}

/** The client's MAC from chaddr (Ethernet only). */
export function clientMac(p: DhcpPacket): Mac | undefined {
  if (p.htype !== 1 || p.hlen !== 6) return undefined;
  return macFromBytes(p.chaddr.subarray(0, 6));
}

/** An empty packet with all-zero header fields, for building messages. */
export function emptyPacket(op: number): DhcpPacket {
  return {
    op,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: 0,
    secs: 0,
    flags: 0,
    ciaddr: '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: '0.0.0.0',
    chaddr: new Uint8Array(16),
    sname: '',
    file: '',
    options: {},
    unknownOptions: [],
  };
}
