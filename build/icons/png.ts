import { deflateSync } from 'node:zlib';

/**
 * A minimal PNG encoder (RGBA, 8 bits per channel, no interlace), enough for icons drawn in
 * code. PNG spec (ISO/IEC 15948, W3C PNG 2nd ed.): signature, IHDR (§11.2.2), IDAT holding a
 * zlib stream of scanlines each prefixed by a filter-type byte (§9), IEND.
 */
export interface RgbaImage {
  width: number;
  height: number;
  /** width * height * 4 bytes, row-major, non-premultiplied RGBA. */
  data: Uint8Array;
}

const SIGNATURE = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]);

export function encodePng(img: RgbaImage): Buffer {
  if (img.data.length !== img.width * img.height * 4) throw new Error(`image data is ${img.data.length} bytes, want ${img.width * img.height * 4}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(img.width, 0);
  ihdr.writeUInt32BE(img.height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: truecolour with alpha
  // bytes 10..12: compression 0 (deflate), filter method 0, interlace 0 (none)
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(scanlines(img), { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** Filter type 0 (None) on every row: icons are tiny, and the output stays byte-stable. */
function scanlines({ width, height, data }: RgbaImage): Buffer {
  const stride = width * 4;
  const out = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) out.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return out;
}

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 as PNG §D (polynomial 0xEDB88320, reflected). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
