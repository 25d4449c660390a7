/** The time-against-N curve of bench/fanout.bench.ts as a small standalone SVG (docs/BENCHMARKS.md). */
export interface CurvePoint {
  n: number;
  unicast?: number;
  /** Unicast stopped after a window, its time projected from the bytes written by then: hollow markers. */
  unicastProjected?: number;
  fanout?: number;
  chain?: number;
  multicast?: number;
}

/** The measured series, in the legend's order; colour and label of each. */
const SERIES = [
  { key: 'fanout', color: '#2471a3', label: 'fan-out, chunk swarm (chosen)' },
  { key: 'chain', color: '#7d3c98', label: 'pipeline chain (bench prototype)' },
  { key: 'multicast', color: '#1e8449', label: 'multicast with repair (bench prototype)' },
  { key: 'unicast', color: '#c0392b', label: 'unicast' },
] as const;

/**
 * `perMachine` (S/L) adds unicast's cost by construction, N·S/L, as a dashed line clipped to the
 * plot: the measured unicast points sit on it, and past them it stands for runs not made.
 */
export function fanoutCurveSvg(points: CurvePoint[], goal: number, caption: string, perMachine?: number): string {
  const W = 560, H = 320, left = 60, right = 20, top = 30, bottom = 50;
  const maxN = Math.max(...points.map((p) => p.n));
  // unicast points far above the rest would flatten every other curve: the axis stops at 2.5x the goal, they are marked at its top
  const cap = 2.5 * goal;
  const maxT = Math.min(cap, Math.max(goal, ...points.flatMap((p) => [p.unicast ?? 0, p.unicastProjected ?? 0, p.fanout ?? 0, p.chain ?? 0, p.multicast ?? 0]))) * 1.1;
  const x = (n: number) => left + (n / maxN) * (W - left - right);
  const y = (t: number) => H - bottom - (t / maxT) * (H - top - bottom);
  const line = (pts: Array<[number, number]>, color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([n, t]) => `${x(n).toFixed(1)},${y(Math.min(t, cap)).toFixed(1)}`).join(' ')}"/>` +
    pts.map(([n, t]) => `<circle cx="${x(n).toFixed(1)}" cy="${y(Math.min(t, cap)).toFixed(1)}" r="3" fill="${color}"/>${t > cap ? over(n, t, color) : ''}`).join('');
  // a point above the axis gets its time under its marker, every other one a line lower so neighbours do not overlap
  const over = (n: number, t: number, color: string, prefix = '') => {
    const row = points.findIndex((p) => p.n === n) % 2;
    const anchor = x(n) > W - right - 30 ? 'end' : 'middle'; // the last point's label stays inside the picture
    return `<text x="${x(n).toFixed(1)}" y="${(y(cap) + 16 + 12 * row).toFixed(1)}" font-size="10" text-anchor="${anchor}" fill="${color}">${prefix}${t.toFixed(0)} s ↑</text>`;
  };
  const series = (key: (typeof SERIES)[number]['key']) => points.filter((p) => p[key] !== undefined).map((p): [number, number] => [p.n, p[key]!]);
  const projected = points
    .filter((p) => p.unicastProjected !== undefined)
    .map((p) => {
      const t = p.unicastProjected!;
      const label = t > cap ? over(p.n, t, '#c0392b', '~') : '';
      return `<circle cx="${x(p.n).toFixed(1)}" cy="${y(Math.min(t, cap)).toFixed(1)}" r="4" fill="white" stroke="#c0392b" stroke-width="1.5"/>${label}`;
    })
    .join('');
  const shown = SERIES.filter((s) => series(s.key).length || (s.key === 'unicast' && projected));
  const legend = shown
    .map((s, i) => `<text x="${W - right - 10}" y="${top + 90 + 16 * i}" font-size="12" text-anchor="end" fill="${s.color}">${s.label}${s.key === 'unicast' ? ' (hollow: projected from a window)' : ''}</text>`)
    .join('');
  const ticks = points.map((p) => `<text x="${x(p.n).toFixed(1)}" y="${H - bottom + 16}" font-size="11" text-anchor="middle">${p.n}</text>`).join('');
  const tTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${left - 6}" y="${y(f * maxT).toFixed(1)}" font-size="11" text-anchor="end">${(f * maxT).toFixed(0)}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="18" font-size="12" text-anchor="middle">Time to all disks written and verified (s) against agents N — ${caption}</text>
<line x1="${left}" y1="${H - bottom}" x2="${W - right}" y2="${H - bottom}" stroke="black"/><line x1="${left}" y1="${top}" x2="${left}" y2="${H - bottom}" stroke="black"/>
${ticks}${tTicks}
<line x1="${left}" y1="${y(goal).toFixed(1)}" x2="${W - right}" y2="${y(goal).toFixed(1)}" stroke="#888" stroke-dasharray="4 3"/><text x="${W - right}" y="${(y(goal) - 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#555">goal 2·S/L</text>
${perMachine ? bound(perMachine, maxN, maxT, x, y) : ''}${SERIES.map((s) => line(series(s.key), s.color)).join('')}${projected}
${legend}
<text x="${W / 2}" y="${H - 12}" font-size="12" text-anchor="middle">agents (N)</text>
</svg>
`;
}

function bound(perMachine: number, maxN: number, maxT: number, x: (n: number) => number, y: (t: number) => number): string {
  const n = Math.min(maxN, maxT / perMachine);
  return `<line x1="${x(0).toFixed(1)}" y1="${y(0).toFixed(1)}" x2="${x(n).toFixed(1)}" y2="${y(n * perMachine).toFixed(1)}" stroke="#c0392b" stroke-dasharray="2 3"/>` +
    `<text x="${(x(n) + 4).toFixed(1)}" y="${(y(n * perMachine) + 12).toFixed(1)}" font-size="11" fill="#c0392b">unicast N·S/L (computed)</text>`;
}
