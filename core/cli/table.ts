/** Plain aligned columns, kubectl-like; `empty` is printed when there are no rows. */
export function formatTable(rows: Array<Record<string, string>>, empty: string): string {
  if (rows.length === 0) return empty;
  const cols = Object.keys(rows[0]);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(width[i])).join('  ').trimEnd();
  return [line(cols), ...rows.map((r) => line(cols.map((c) => r[c] ?? '')))].join('\n');
}
