/**
 * Option negotiation for a read request, one small function per RFC:
 * RFC 2347 (option extension), RFC 2348 (blksize), RFC 2349 (timeout, tsize),
 * RFC 7440 (windowsize). Pure: the server passes its limits and the file size.
 */
import type { TftpOption } from './codec.ts';

/** RFC 1350 block size when no blksize option was agreed. */
export const DEFAULT_BLKSIZE = 512;

/** The server's side of the negotiation. */
export interface TftpLimits {
  /** Largest blksize agreed, bytes. Default 1468 (fits a 1500-byte MTU). Clamped to 8..65464. */
  maxBlksize: number;
  /** Largest windowsize agreed, blocks. Default 16. Clamped to 1..65535. */
  maxWindowsize: number;
}

/** What both sides agreed, plus the options to echo in the OACK (empty: send no OACK). */
export interface NegotiatedOptions {
  /** Bytes of file data per DATA packet. */
  blksize: number;
  /** Blocks sent before waiting for an ACK (1 = RFC 1350 lock-step). */
  windowsize: number;
  /** Retransmission timeout the client asked for, seconds; undefined: the server's own. */
  timeoutSeconds: number | undefined;
  /** Options accepted, in the order the client sent them (RFC 2347 section 3). */
  reply: TftpOption[];
}

/** Parses a decimal option value; undefined for anything but plain digits. */
export function parseOptionNumber(value: string): number | undefined {
  if (!/^[0-9]{1,10}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/**
 * blksize, RFC 2348 section 2: valid 8..65464; the server may answer a smaller value,
 * so a request above our limit (path MTU) is clamped. Invalid values drop the option.
 */
export function negotiateBlksize(value: string, maxBlksize: number): number | undefined {
  const n = parseOptionNumber(value);
  if (n === undefined || n < 8 || n > 65464) return undefined;
  return Math.min(n, clampInt(maxBlksize, 8, 65464));
}

/**
 * timeout, RFC 2349 section 2: 1..255 seconds; the server must not change it, so an
 * out-of-range value drops the option instead of being clamped.
 */
export function negotiateTimeout(value: string): number | undefined {
  const n = parseOptionNumber(value);
  if (n === undefined || n < 1 || n > 255) return undefined;
  return n;
}

/**
 * tsize, RFC 2349 section 4: on a read request the client sends 0 and the server
 * answers with the file size in bytes. A size we do not know drops the option, and so
 * does an empty file: curl 7.88 rejects an OACK carrying "tsize 0" as invalid (it fails
 * the same way against tftpd-hpa), and declining an option is always allowed (RFC 2347
 * section 3).
 */
export function negotiateTsize(value: string, fileSize: number | undefined): number | undefined {
  if (parseOptionNumber(value) === undefined || fileSize === undefined || fileSize === 0) return undefined;
  return fileSize;
}

/** windowsize, RFC 7440 section 3: 1..65535 blocks; the server may answer a smaller value. */
export function negotiateWindowsize(value: string, maxWindowsize: number): number | undefined {
  const n = parseOptionNumber(value);
  if (n === undefined || n < 1 || n > 65535) return undefined;
  return Math.min(n, clampInt(maxWindowsize, 1, 65535));
}

/** Bytes one window may hold: a window is read from the file in one piece, and is resent whole. */
export const MAX_WINDOW_BYTES = 1024 * 1024;

/**
 * Caps windowsize so blksize x windowsize stays within MAX_WINDOW_BYTES (a client asking
 * 65464 x 65535 would otherwise make us read 4 GiB at once). Answering a smaller
 * windowsize is allowed (RFC 7440 section 3).
 */
export function limitWindowBytes(blksize: number, windowsize: number): number {
  return Math.max(1, Math.min(windowsize, Math.floor(MAX_WINDOW_BYTES / blksize)));
}

function clampInt(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.floor(n)));
}

/**
 * Negotiates the options of a read request. Option names are case-insensitive
 * (RFC 2347 section 2); the first occurrence of a name wins; unknown options are
 * ignored and left out of the reply.
 */
export function negotiateOptions(
  requested: TftpOption[],
  limits: TftpLimits,
  fileSize: number | undefined,
): NegotiatedOptions {
  const out: NegotiatedOptions = { blksize: DEFAULT_BLKSIZE, windowsize: 1, timeoutSeconds: undefined, reply: [] };
  const seen = new Set<string>();
  for (const { name, value } of requested) {
    const key = name.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const agreed = negotiateOne(key, value, limits, fileSize, out);
    if (agreed !== undefined) out.reply.push({ name: key, value: String(agreed) });
  }
  out.windowsize = limitWindowBytes(out.blksize, out.windowsize);
  for (const o of out.reply) if (o.name === 'windowsize') o.value = String(out.windowsize);
  return out;
}

function negotiateOne(
  key: string,
  value: string,
  limits: TftpLimits,
  fileSize: number | undefined,
  out: NegotiatedOptions,
): number | undefined {
  switch (key) {
    case 'blksize': {
      const n = negotiateBlksize(value, limits.maxBlksize);
      if (n !== undefined) out.blksize = n;
      return n;
    }
    case 'windowsize': {
      const n = negotiateWindowsize(value, limits.maxWindowsize);
      if (n !== undefined) out.windowsize = n;
      return n;
    }
    case 'timeout': {
      const n = negotiateTimeout(value);
      if (n !== undefined) out.timeoutSeconds = n;
      return n;
    }
    case 'tsize':
      return negotiateTsize(value, fileSize);
    default:
      return undefined;
  }
}
