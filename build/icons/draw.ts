import type { RgbaImage } from './png.ts';

/**
 * The Dragonfly marks, drawn in code so every size is rendered (not scaled) and the output is
 * byte-stable. Shapes live in a unit square (y down); each pixel is supersampled and the
 * layers composited "over" in premultiplied alpha.
 */
type Rgba = readonly [number, number, number, number]; // 0..255, alpha 0..1
type Paint = Rgba | ((x: number, y: number) => Rgba);

export interface Layer {
  inside(x: number, y: number): boolean;
  paint: Paint;
  /** Clears what is below instead of painting (the gap around a status dot). */
  erase?: boolean;
}

export const circle = (cx: number, cy: number, r: number) => (x: number, y: number) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;

export function ellipse(cx: number, cy: number, a: number, b: number, degrees: number) {
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  return (x: number, y: number) => {
    const dx = x - cx;
    const dy = y - cy;
    const u = dx * cos + dy * sin;
    const v = -dx * sin + dy * cos;
    return (u / a) ** 2 + (v / b) ** 2 <= 1;
  };
}

/** A vertical stroke with round ends. */
export const capsule = (cx: number, y0: number, y1: number, r: number) => (x: number, y: number) => {
  const cy = Math.min(y1, Math.max(y0, y));
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};

export function roundedRect(x0: number, y0: number, x1: number, y1: number, r: number) {
  return (x: number, y: number) => {
    if (x < x0 || x > x1 || y < y0 || y > y1) return false;
    const cx = Math.min(x1 - r, Math.max(x0 + r, x));
    const cy = Math.min(y1 - r, Math.max(y0 + r, y));
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
  };
}

/** Maps a shape drawn in the unit square into the box [x0, x0+s] × [y0, y0+s]. */
const placed = (shape: (x: number, y: number) => boolean, x0: number, y0: number, s: number) => (x: number, y: number) =>
  shape((x - x0) / s, (y - y0) / s);

/** The dragonfly: head, thorax, a long abdomen and two pairs of wings, mirrored. */
export function dragonflyLayers(wings: Paint, body: Paint, box = { x0: 0, y0: 0, s: 1 }): Layer[] {
  const shapes = {
    wings: [
      ellipse(0.29, 0.31, 0.22, 0.07, -12),
      ellipse(0.71, 0.31, 0.22, 0.07, 12),
      ellipse(0.31, 0.45, 0.19, 0.06, 16),
      ellipse(0.69, 0.45, 0.19, 0.06, -16),
    ],
    body: [circle(0.5, 0.19, 0.08), ellipse(0.5, 0.33, 0.06, 0.09, 0), capsule(0.5, 0.36, 0.88, 0.04)],
  };
  const put = (f: (x: number, y: number) => boolean) => placed(f, box.x0, box.y0, box.s);
  return [...shapes.wings.map((f) => ({ inside: put(f), paint: wings })), ...shapes.body.map((f) => ({ inside: put(f), paint: body }))];
}

const mix = (a: Rgba, b: Rgba, t: number): Rgba => [0, 1, 2, 3].map((i) => a[i] + (b[i] - a[i]) * t) as unknown as Rgba;

/** The application icon: a teal tile with a pale dragonfly. */
export function appIconLayers(): Layer[] {
  const top: Rgba = [20, 184, 166, 1];
  const bottom: Rgba = [15, 78, 74, 1];
  return [
    { inside: roundedRect(0.04, 0.04, 0.96, 0.96, 0.2), paint: (_x, y) => mix(top, bottom, y) },
    ...dragonflyLayers([236, 254, 255, 0.78], [255, 255, 255, 1], { x0: 0.12, y0: 0.1, s: 0.76 }),
  ];
}

export type TrayState = 'idle' | 'provisioning' | 'error';

const STATE_DOT: Record<TrayState, Rgba | undefined> = {
  idle: undefined,
  provisioning: [245, 158, 11, 1], // amber: work in progress
  error: [220, 38, 38, 1], // red: needs the operator
};

/** A tray icon: the teal dragonfly, plus a status dot (with a clear ring) when not idle. */
export function trayIconLayers(state: TrayState): Layer[] {
  const teal: Rgba = [20, 184, 166, 1];
  const layers = dragonflyLayers(teal, teal);
  const dot = STATE_DOT[state];
  if (!dot) return layers;
  return [...layers, { inside: circle(0.76, 0.76, 0.3), paint: [0, 0, 0, 0], erase: true }, { inside: circle(0.76, 0.76, 0.22), paint: dot }];
}

export function render(layers: Layer[], size: number): RgbaImage {
  const n = size >= 256 ? 2 : size >= 64 ? 3 : 6; // subsamples per axis: small icons need them most
  const data = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const s = sample(layers, (px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size);
          for (let i = 0; i < 4; i++) acc[i] += s[i];
        }
      }
      writePixel(data, (py * size + px) * 4, acc, n * n);
    }
  }
  return { width: size, height: size, data };
}

/** One subsample, premultiplied: [r*a, g*a, b*a, a]. */
function sample(layers: Layer[], x: number, y: number): number[] {
  let out = [0, 0, 0, 0];
  for (const layer of layers) {
    if (!layer.inside(x, y)) continue;
    if (layer.erase) {
      out = [0, 0, 0, 0];
      continue;
    }
    const c = typeof layer.paint === 'function' ? layer.paint(x, y) : layer.paint;
    const a = c[3];
    out = [c[0] * a + out[0] * (1 - a), c[1] * a + out[1] * (1 - a), c[2] * a + out[2] * (1 - a), a + out[3] * (1 - a)];
  }
  return out;
}

function writePixel(data: Uint8Array, at: number, acc: number[], count: number): void {
  const a = acc[3] / count;
  if (a === 0) return;
  for (let i = 0; i < 3; i++) data[at + i] = Math.round(acc[i] / count / a);
  data[at + 3] = Math.round(a * 255);
}
