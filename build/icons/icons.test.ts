import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { iconFiles, linuxSizes, projectRoot, trayStates } from './generate.ts';
import { crc32, encodePng } from './png.ts';

/** A PNG reader just for these tests: checks chunk CRCs and returns RGBA pixels. */
function decodePng(buf: Buffer) {
  expect([...buf.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (at < buf.length) {
    const len = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    const body = buf.subarray(at + 8, at + 8 + len);
    expect(buf.readUInt32BE(at + 8 + len), `CRC of ${type}`).toBe(crc32(buf.subarray(at + 4, at + 8 + len)));
    if (type === 'IHDR') [width, height] = [body.readUInt32BE(0), body.readUInt32BE(4)];
    if (type === 'IDAT') idat.push(body);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) raw.copy(data, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  return { width, height, data };
}

const read = (rel: string) => readFileSync(path.join(projectRoot, rel));
const countPixels = (data: Buffer, pred: (r: number, g: number, b: number, a: number) => boolean) => {
  let n = 0;
  for (let i = 0; i < data.length; i += 4) if (pred(data[i], data[i + 1], data[i + 2], data[i + 3])) n++;
  return n;
};
const isRed = (r: number, g: number, b: number, a: number) => a > 200 && r > 180 && g < 80 && b < 80;
const isAmber = (r: number, g: number, b: number, a: number) => a > 200 && r > 200 && g > 120 && g < 190 && b < 60;

describe('png encoder', () => {
  it('round-trips pixels through a standard inflate', () => {
    const data = Uint8Array.from({ length: 3 * 2 * 4 }, (_, i) => (i * 37) % 256);
    expect(decodePng(encodePng({ width: 3, height: 2, data }))).toEqual({ width: 3, height: 2, data: Buffer.from(data) });
  });

  it('refuses pixel data of the wrong length', () => {
    expect(() => encodePng({ width: 2, height: 2, data: new Uint8Array(15) })).toThrow('image data is 15 bytes, want 16');
  });

  it('computes the CRC-32 check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });
});

describe('shipped icons', () => {
  it('are exactly what the generator draws (run build/icons/generate.ts after changing a drawing)', () => {
    for (const [rel, bytes] of iconFiles()) expect(read(rel).equals(bytes), rel).toBe(true);
  });

  it('have tray icons at 16 px and @2x 32 px for every state', () => {
    for (const state of trayStates) {
      expect(decodePng(read(`assets/icons/tray-${state}.png`)).width).toBe(16);
      expect(decodePng(read(`assets/icons/tray-${state}@2x.png`)).width).toBe(32);
    }
  });

  it('tell the states apart by colour: red dot on error, amber on provisioning, none when idle', () => {
    const px = (s: string) => decodePng(read(`assets/icons/tray-${s}@2x.png`)).data;
    expect(countPixels(px('error'), isRed)).toBeGreaterThan(40);
    expect(countPixels(px('provisioning'), isAmber)).toBeGreaterThan(40);
    for (const s of ['idle', 'provisioning']) expect(countPixels(px(s), isRed)).toBe(0);
    for (const s of ['idle', 'error']) expect(countPixels(px(s), isAmber)).toBe(0);
  });

  it('draw a visible mark on a transparent tray background', () => {
    const { data } = decodePng(read('assets/icons/tray-idle.png'));
    const opaque = countPixels(data, (_r, _g, _b, a) => a > 128);
    expect(opaque).toBeGreaterThan(30);
    expect(opaque).toBeLessThan(16 * 16 - 60);
    expect(data[3]).toBe(0); // corner pixel transparent
  });

  it('give the Linux icon set every size it names', () => {
    for (const s of linuxSizes) expect(decodePng(read(`build/icons/png/${s}x${s}.png`))).toMatchObject({ width: s, height: s });
  });

  it('hold 16–256 px PNGs in the Windows .ico', () => {
    const ico = read('build/icons/icon.ico');
    const count = ico.readUInt16LE(4);
    const sizes = Array.from({ length: count }, (_, i) => ico[6 + 16 * i] || 256);
    expect(sizes).toEqual([16, 32, 48, 64, 128, 256]);
    const last = 6 + 16 * (count - 1);
    const png = ico.subarray(ico.readUInt32LE(last + 12), ico.readUInt32LE(last + 12) + ico.readUInt32LE(last + 8));
    expect(decodePng(png).width).toBe(256);
  });

  it('hold PNG elements up to 512 px in the macOS .icns, with a correct total length', () => {
    const icns = read('build/icons/icon.icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const types: string[] = [];
    for (let at = 8; at < icns.length; at += icns.readUInt32BE(at + 4)) types.push(icns.toString('latin1', at, at + 4));
    expect(types).toEqual(['icp4', 'icp5', 'icp6', 'ic07', 'ic08', 'ic09']);
  });
});
