/**
 * Byte reader and writer for the protocol codecs. The reader remembers its first error
 * and keeps returning zeros after it, so a decoder reads straight through and checks
 * `reader.error` once at the end (after Pixiecore's and insomniacslk's readers).
 */
export class ByteReader {
  private pos = 0;
  error: string | undefined;

  constructor(private readonly buf: Uint8Array) {}

  get offset(): number {
    return this.pos;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }

  fail(message: string): void {
    this.error ??= message;
  }

  private take(n: number, field: string): Uint8Array | undefined {
    if (this.error) return undefined;
    if (n > this.remaining) {
      this.fail(`${field}: need ${n} bytes at offset ${this.pos}, have ${this.remaining}`);
      return undefined;
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u8(field: string): number {
    return this.take(1, field)?.[0] ?? 0;
  }
  u16(field: string): number {
    const b = this.take(2, field);
    return b ? (b[0] << 8) | b[1] : 0;
  }
  u32(field: string): number {
    const b = this.take(4, field);
    return b ? ((b[0] << 24) >>> 0) + ((b[1] << 16) | (b[2] << 8) | b[3]) : 0;
  }
  /** Little-endian variants, for formats that are least significant byte first (IPMI sessions, UEFI). */
  u16le(field: string): number {
    const b = this.take(2, field);
    return b ? b[0] | (b[1] << 8) : 0;
  }
  u32le(field: string): number {
    const b = this.take(4, field);
    return b ? (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0 : 0;
  }
  u64le(field: string): bigint {
    const b = this.take(8, field);
    return b ? Buffer.from(b).readBigUInt64LE(0) : 0n;
  }
  bytes(n: number, field: string): Uint8Array {
    return this.take(n, field) ?? new Uint8Array(n < 0 ? 0 : Math.min(n, 0));
  }
  rest(): Uint8Array {
    return this.take(this.remaining, 'rest') ?? new Uint8Array(0);
  }
}

export class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;

  constructor(initial = 576) {
    this.buf = new Uint8Array(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  get length(): number {
    return this.pos;
  }
  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.ensure(2);
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    for (const shift of [24, 16, 8, 0]) this.buf[this.pos++] = (v >>> shift) & 0xff;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }
  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
